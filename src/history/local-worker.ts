/**
 * The history worker thread: owns the local history's SQLite file and answers the host's requests one at a time,
 * so no SQLite call (WebAssembly, fsync) ever runs on the extension host's thread. Built to
 * dist/history-worker.js; LocalHistoryClient starts it on first use and restarts it after a crash. Every request
 * gets exactly one reply; a store that cannot be opened answers each request with `unavailable` and why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { reclaimFromThisProcess } from './file-owner';
import { isWorkerRequest, type LocalProblem, type LocalRequest, type LocalResults, type LocalWorkerData, type WorkerReply } from './local-messages';
import { openLocalHistory, type LocalHistoryStore } from './local-store';

const port = parentPort;
if (!port) throw new Error('src/history/local-worker.ts runs only as a worker thread (see LocalHistoryClient)');

const { file, reclaim } = workerData as LocalWorkerData;
let store: LocalHistoryStore | undefined;
let unavailable: string | undefined;
if (reclaim) reclaimFromThisProcess(file);
try {
  store = openLocalHistory(file, { fileExists: (image) => fs.existsSync(image) });
} catch (error) {
  unavailable = messageOf(error);
}

/** Entries added to a room between two retention passes: a pass costs a scan of the room (~10 ms per 10,000). */
const PRUNE_EVERY_ENTRIES = 500;
const addedSincePrune = new Map<string, number>();

port.on('message', function portOnMessage(message: unknown) {
  if (!isWorkerRequest(message)) {
    // Without a valid id there is nobody to answer; the host's own guard makes this unreachable in practice.
    const id = typeof (message as { id?: unknown })?.id === 'number' ? (message as { id: number }).id : -1;
    if (id >= 0) reply({ id, ok: false, problem: { code: 'failed', message: 'malformed request' } });
    return;
  }
  if (!store) {
    reply({ id: message.id, ok: false, problem: { code: 'unavailable', message: unavailable ?? 'the history is closed' } });
    return;
  }
  try {
    reply({ id: message.id, ok: true, result: run(store, message.request) });
  } catch (error) {
    const problem: LocalProblem = { code: 'failed', message: messageOf(error) };
    reply({ id: message.id, ok: false, problem });
  }
});

/** Closing the file on a clean exit checkpoints the log; a crash loses nothing committed either way. */
process.on('exit', () => store?.close());

function run(db: LocalHistoryStore, request: LocalRequest): LocalResults[LocalRequest['op']] {
  switch (request.op) {
    case 'append': {
      const results = db.append(request.key, request.entries);
      // Retention scans the room: once per room and start of the worker, then every PRUNE_EVERY_ENTRIES added.
      const added = (addedSincePrune.get(request.key) ?? PRUNE_EVERY_ENTRIES) + results.filter((result) => result.added).length;
      if (added >= PRUNE_EVERY_ENTRIES) db.prune(request.key, request.now, request.retention);
      addedSincePrune.set(request.key, added >= PRUNE_EVERY_ENTRIES ? 0 : added);
      return results;
    }
    case 'update':
      return db.update(request.key, request.id, request.change);
    case 'edit':
      return db.edit(request.key, { from: request.from, messageId: request.messageId, text: request.text, editedAt: request.editedAt });
    case 'remove':
      return db.remove(request.key, { from: request.from, messageId: request.messageId });
    case 'react':
      return db.react(request.key, { messageId: request.messageId, from: request.from, emoji: request.emoji, on: request.on });
    case 'latest':
      return db.latest(request.key, request.limit);
    case 'before':
      return db.before(request.key, request.id, request.limit, request.at);
    case 'around':
      return db.around(request.key, request.id, request.before, request.after);
    case 'search':
      return db.search(request.key, request.query, request.limit);
    case 'marks':
      return db.marks(request.key);
    case 'noteRelay':
      return db.noteRelay(request.key, { latestSeq: request.latestSeq, startReached: request.startReached });
    case 'messageKeys':
      return db.messageKeys(request.key, request.limit);
    case 'touch':
      return db.touch(request.key, request.now);
    case 'lastRoom':
      return db.lastRoom();
    case 'clear': {
      const { removed, files } = db.clear(request.key);
      return { removed, filesDeleted: deleteOwned(files, request.ownedFolders) };
    }
    case 'prune':
      return db.prune(request.key, request.now, request.retention);
    case 'close':
      db.close();
      store = undefined;
      unavailable = 'the history was closed';
      return undefined;
    default:
      return assertNever(request);
  }
}

/** Deletes the files that lie inside one of `folders` (the store's own); any other file is the user's and stays. */
function deleteOwned(files: readonly string[], folders: readonly string[]): number {
  const roots = folders.map((folder) => path.resolve(folder) + path.sep);
  let deleted = 0;
  for (const candidate of files) {
    const resolved = path.resolve(candidate);
    if (!roots.some((root) => resolved.startsWith(root))) continue;
    try {
      fs.unlinkSync(resolved);
      deleted++;
    } catch {
      // Already gone (the save quota deleted it): nothing to do.
    }
  }
  return deleted;
}

function reply(message: WorkerReply): void {
  port?.postMessage(message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function assertNever(value: never): never {
  throw new Error(`unknown request ${JSON.stringify(value)}`);
}
