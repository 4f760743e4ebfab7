/**
 * Which process owns a SQLite file: `<file>.owner` (pid, host and boot time), created exclusively before the file is
 * opened and removed when it is closed. A second opener gets a clear "in use" error instead of waiting; a dead
 * owner's marker (it crashed, was killed, or the machine rebooted) and the VFS's `.lock` directory it left behind
 * are recognised and removed, so `kill -9` never leaves a store locked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codeOf, DatabaseError, messageOf } from './database-error';

/** A marker says only who has the file open, but that is no one else's business either. */
const FILE_MODE = 0o600;
/** An empty or partial owner marker younger than this is being written by its owner (ms); older, it died. */
const HALF_WRITTEN_GRACE_MS = 10_000;
/** Boot times computed from uptime drift by a second or two; a reboot moves them by far more (s). */
const BOOT_TIME_SLACK_S = 30;

export interface Ownership {
  release(): void;
}

/**
 * Creates `<file>.owner` exclusively. If it exists and names a live process, the file is in use; if that process
 * is gone (it crashed or was killed), its marker and the VFS's `.lock` directory are stale and removed.
 */
export function takeOwnership(file: string): Ownership {
  const marker = `${file}.owner`;
  const me = `${process.pid} ${os.hostname()} ${bootTimeS()}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(marker, 'wx', FILE_MODE);
      try {
        fs.writeSync(fd, me);
      } finally {
        fs.closeSync(fd);
      }
      removeStaleLock(file);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            fs.unlinkSync(marker);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') {
        throw new DatabaseError('io', file, `cannot create ${marker}: ${messageOf(error)}`, { cause: error });
      }
    }
    const holder = readOwner(marker);
    if (holder === 'being-written') break;
    if (holder !== undefined && ownerIsAlive(holder)) {
      throw new DatabaseError(
        'in-use',
        file,
        `${file} is in use by process ${holder.pid} on ${holder.host}` +
          ` (if that process is gone, delete ${marker})`,
      );
    }
    try {
      fs.unlinkSync(marker);
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') {
        throw new DatabaseError('io', file, `cannot remove the stale ${marker}: ${messageOf(error)}`, {
          cause: error,
        });
      }
    }
  }
  throw new DatabaseError('in-use', file, `${file} is being opened by another process`);
}

/**
 * Removes `<file>.owner` when it names this very process (on this boot), for a caller that knows no connection of
 * this process has the file open any more: a worker thread that owned it died, and a new one takes over. Opening
 * the file afterwards clears the lock directory the dead thread left.
 */
export function reclaimFromThisProcess(file: string): void {
  const marker = `${path.resolve(file)}.owner`;
  const holder = readOwner(marker);
  if (holder === undefined || holder === 'being-written') return;
  if (holder.pid !== process.pid || holder.host !== os.hostname()) return;
  if (holder.bootS !== undefined && Math.abs(holder.bootS - bootTimeS()) > BOOT_TIME_SLACK_S) return;
  try {
    fs.unlinkSync(marker);
  } catch {
    // Gone already: nothing to reclaim.
  }
}

/** Only owners use the file, and we are the owner now: a `.lock` directory left behind is a dead owner's. */
function removeStaleLock(file: string): void {
  try {
    fs.rmdirSync(`${file}.lock`);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') {
      throw new DatabaseError('io', file, `cannot remove the stale ${file}.lock: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }
}

interface Owner {
  pid: number;
  host: string;
  /** When the owner's machine booted (s since the epoch), so a pid from before a reboot is not taken as alive. */
  bootS: number | undefined;
}

/** The marker's owner; 'being-written' when it is empty or partial and new (its owner may be writing it now). */
function readOwner(marker: string): Owner | 'being-written' | undefined {
  let text: string;
  let modifiedMs: number;
  try {
    text = fs.readFileSync(marker, 'utf8');
    modifiedMs = fs.statSync(marker).mtimeMs;
  } catch {
    return undefined;
  }
  const match = /^(\d+) (\S+)(?: (\d+))?\n$/.exec(text);
  if (match) return { pid: Number(match[1]), host: match[2]!, bootS: match[3] ? Number(match[3]) : undefined };
  // Older than the grace: its owner died between creating and writing it.
  return Date.now() - modifiedMs < HALF_WRITTEN_GRACE_MS ? 'being-written' : undefined;
}

function ownerIsAlive(owner: Owner): boolean {
  // A process on another host (a shared folder) cannot be checked: assume it lives.
  if (owner.host !== os.hostname()) return true;
  if (owner.bootS !== undefined && Math.abs(owner.bootS - bootTimeS()) > BOOT_TIME_SLACK_S) return false;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return codeOf(error) === 'EPERM';
  }
}

function bootTimeS(): number {
  return Math.round(Date.now() / 1000 - os.uptime());
}
