/**
 * Replay marks in a folder (the CLI's ~/.config/udp-chat/replay/, the extension's globalStorage replay/): one file
 * per room and relay, `<hash>.json` with the hash of the scope, so nothing from the network becomes a path. Each
 * file is `{"relay":"host:port","room":"...","marks":"<base64>"}`, the marks being the versioned bytes of
 * src/protocol/replay-marks.ts; it is written whole to a temporary file and renamed, mode 0600, so a crash never
 * leaves half a file and other users can neither read whom we heard from nor rewrite it.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ReplayMarkScope, ReplayMarkStore } from '../client/types';
import type { ReplayMarks } from '../protocol/replay-marks';
import { readJsonFile, writeFileAtomically } from './json-file';

/** Bytes read at most: 1,024 marks take ~60 KiB of base64 and the scope at most a few hundred bytes more. */
const MAX_FILE_BYTES = 128 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class ReplayMarkFiles implements ReplayMarkStore {
  /** `report`: where the client tells problems with these files (default its log). */
  constructor(
    readonly dir: string,
    readonly report?: (message: string) => void,
  ) {}

  /** The file of a scope: 128 bits of SHA-256 over relay and room. */
  fileOf(scope: ReplayMarkScope): string {
    const hash = createHash('sha256').update(`udpchat replay marks\0${scope.relay}\0${scope.room}`, 'utf8').digest('hex');
    return path.join(this.dir, `${hash.slice(0, 32)}.json`);
  }

  /** The scope's marks; undefined when there is no file. Rejects when the file is damaged or another scope's. */
  async load(scope: ReplayMarkScope): Promise<ReplayMarks | undefined> {
    const file = this.fileOf(scope);
    const parsed = await readJsonFile(file, MAX_FILE_BYTES);
    if (parsed === undefined) return undefined;
    if (typeof parsed !== 'object' || parsed === null) throw new Error(`${file} is not a JSON object`);
    const { relay, room, marks } = parsed as Record<string, unknown>;
    if (relay !== scope.relay || room !== scope.room) throw new Error(`${file} holds the marks of another room`);
    if (typeof marks !== 'string' || !BASE64.test(marks)) throw new Error(`${file} has no marks in base64`);
    return new Uint8Array(Buffer.from(marks, 'base64'));
  }

  async save(scope: ReplayMarkScope, marks: ReplayMarks): Promise<void> {
    const file = this.fileOf(scope);
    await writeFileAtomically(file, `${JSON.stringify({ relay: scope.relay, room: scope.room, marks: Buffer.from(marks).toString('base64') })}\n`);
  }
}

