/**
 * A disk quota for saved images. Each folder the extension saves into holds a ledger of the files it wrote
 * (LEDGER_NAME); when the ledger's total passes the quota, the oldest of those files are deleted first. Only a file
 * in the ledger is ever deleted, and only while it is still the regular file of the size that was written: nothing
 * else in a folder the user chose (their own pictures, a file that replaced ours, a symbolic link) is touched.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface SavedFile {
  /** Base name inside the folder. */
  name: string;
  bytes: number;
  /** When it was saved, ms since the epoch: the quota deletes the earliest first. */
  savedAt: number;
}

/** The ledger's file name inside each folder: hidden, and no name saveReceivedImage produces. */
export const LEDGER_NAME = '.udp-chat-saved.json';
/** At most this many files are tracked per folder (~80 bytes each in the ledger); past it the oldest go too. */
export const MAX_TRACKED_FILES = 10_000;
/** A ledger larger than this is not one we wrote (10,000 records are under 1 MB), and is ignored, in bytes. */
const MAX_LEDGER_BYTES = 4 * 1024 * 1024;

/**
 * Which files to delete so that the rest total at most `quotaBytes` and number at most `maxFiles`: the oldest
 * first. The newest file always stays, even alone over the quota (it was just saved to be shown).
 */
export function planQuota(files: readonly SavedFile[], quotaBytes: number, maxFiles = MAX_TRACKED_FILES): { keep: SavedFile[]; remove: SavedFile[] } {
  const byAge = [...files].sort((a, b) => a.savedAt - b.savedAt);
  let total = byAge.reduce((sum, file) => sum + file.bytes, 0);
  let first = 0;
  while (first < byAge.length - 1 && (total > quotaBytes || byAge.length - first > maxFiles)) {
    total -= (byAge[first] as SavedFile).bytes;
    first++;
  }
  return { keep: byAge.slice(first), remove: byAge.slice(0, first) };
}

export class SaveQuota {
  /** One ledger update at a time per folder: two images arriving together must not lose each other's record. */
  readonly #chains = new Map<string, Promise<unknown>>();

  /**
   * Records `file` (just written by this extension) in its folder's ledger, then deletes the oldest recorded files
   * until the folder's recorded total fits `quotaBytes`. Resolves with the absolute paths it deleted; never rejects
   * (a quota that cannot be applied leaves files in place, which is the safe way to fail).
   */
  record(file: string, bytes: number, quotaBytes: number, now: number): Promise<string[]> {
    const folder = path.dirname(path.resolve(file));
    const previous = this.#chains.get(folder) ?? Promise.resolve();
    const next = previous.then(() => applyQuota(folder, { name: path.basename(file), bytes, savedAt: now }, quotaBytes)).catch(() => []);
    this.#chains.set(folder, next);
    void next.then(() => {
      if (this.#chains.get(folder) === next) this.#chains.delete(folder);
    });
    return next;
  }
}

async function applyQuota(folder: string, saved: SavedFile, quotaBytes: number): Promise<string[]> {
  const files = (await readLedger(folder)).filter((file) => file.name !== saved.name);
  files.push(saved);
  const { keep, remove } = planQuota(files, quotaBytes);
  const deleted: string[] = [];
  for (const file of remove) if (await deleteIfOurs(folder, file)) deleted.push(path.join(folder, file.name));
  await writeLedger(folder, keep);
  return deleted;
}

async function deleteIfOurs(folder: string, file: SavedFile): Promise<boolean> {
  if (!isPlainName(file.name)) return false;
  const target = path.join(folder, file.name);
  try {
    const stat = await fs.lstat(target);
    if (!stat.isFile() || stat.size !== file.bytes) return false; // replaced or changed since: no longer ours
    await fs.unlink(target);
    return true;
  } catch {
    return false; // already gone, or not ours to delete
  }
}

/** A base name with no way out of the folder and not the ledger itself. */
function isPlainName(name: string): boolean {
  return name.length > 0 && name !== LEDGER_NAME && name !== '.' && name !== '..' && path.basename(name) === name && !name.includes('\\');
}

async function readLedger(folder: string): Promise<SavedFile[]> {
  let text: string;
  try {
    const ledger = path.join(folder, LEDGER_NAME);
    const stat = await fs.lstat(ledger);
    if (!stat.isFile() || stat.size > MAX_LEDGER_BYTES) return [];
    text = await fs.readFile(ledger, 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed: unknown = JSON.parse(text);
    const records = typeof parsed === 'object' && parsed !== null ? (parsed as { files?: unknown }).files : undefined;
    return Array.isArray(records) ? records.filter(isSavedFile) : [];
  } catch {
    return []; // unreadable: forget it rather than guess (files it listed are then never deleted)
  }
}

function isSavedFile(value: unknown): value is SavedFile {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.name === 'string' &&
    isPlainName(record.name) &&
    typeof record.bytes === 'number' &&
    Number.isSafeInteger(record.bytes) &&
    record.bytes >= 0 &&
    typeof record.savedAt === 'number' &&
    Number.isFinite(record.savedAt)
  );
}

/** Written beside and renamed over the old ledger, so a crash leaves the old one or the new one, never half. */
async function writeLedger(folder: string, files: readonly SavedFile[]): Promise<void> {
  const ledger = path.join(folder, LEDGER_NAME);
  const temporary = path.join(folder, `${LEDGER_NAME}.${randomBytes(6).toString('hex')}.tmp`);
  const body = JSON.stringify({ version: 1, files: files.map(({ name, bytes, savedAt }) => ({ name, bytes, savedAt })) });
  try {
    await fs.writeFile(temporary, body, { flag: 'wx' });
    await fs.rename(temporary, ledger);
  } catch {
    await fs.rm(temporary, { force: true }).catch(() => undefined);
  }
}
