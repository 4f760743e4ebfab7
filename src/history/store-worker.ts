/**
 * The relay history's worker thread: owns the SQLite file (WebAssembly, and an fsync per commit) so that neither
 * runs on the relay's thread, whose every blocked millisecond delays every member's datagrams. Built to
 * dist/history-store-worker.js; ThreadedHistoryStore starts it.
 *
 * Requests are served strictly in the order they were posted, so a read sees every write posted before it.
 * Appends that are waiting together are committed in one transaction (group commit: one fsync for all of them),
 * and each is answered with its own messages; ThreadedHistoryStore gathers them before posting.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { asDatabaseError } from './database-error';
import { reclaimFromThisProcess } from './file-owner';
import { openSqliteHistoryStore } from './sqlite-store';
import type { HistoryStore, StoredMessage } from './store';
import {
  isStoreRequest,
  type StoreOpened,
  type StoreOperation,
  type StoreProblem,
  type StoreReply,
  type StoreRequest,
  type StoreResults,
  type StoreWorkerData,
} from './store-thread-messages';

const port = parentPort;
if (!port) throw new Error('src/history/store-worker.ts runs only as a worker thread (see ThreadedHistoryStore)');
const data = workerData as StoreWorkerData;
const signal = new Int32Array(data.signal);

let store: HistoryStore | undefined;
try {
  if (data.reclaim) reclaimFromThisProcess(data.file);
  store = openSqliteHistoryStore(data.file);
  port.postMessage({ opened: true } satisfies StoreOpened);
} catch (error) {
  port.postMessage({ opened: false, problem: problemOf(error) } satisfies StoreOpened);
}

const queue: StoreRequest[] = [];
let immediate: NodeJS.Immediate | undefined;

port.on('message', function portOnMessage(message: unknown) {
  if (!isStoreRequest(message)) return; // only ThreadedHistoryStore posts here; nothing to answer without an id
  queue.push(message);
  // After every message already waiting: appends that wait together are committed together.
  immediate ??= setImmediate(drain);
});

function drain(): void {
  immediate = undefined;
  while (queue.length > 0) {
    const first = queue[0] as StoreRequest;
    if (first.operation.op === 'append') {
      let count = 0;
      while (count < queue.length && (queue[count] as StoreRequest).operation.op === 'append') count++;
      commitAppends(queue.splice(0, count));
    } else {
      queue.shift();
      answer(first, () => run(first.operation));
    }
  }
}

/** One transaction for every append that waited; a failure fails all of them (none was committed). */
function commitAppends(requests: StoreRequest[]): void {
  const batches = requests.map((request) => (request.operation as Extract<StoreOperation, { op: 'append' }>).messages);
  let stored: StoredMessage[];
  try {
    stored = open().append(batches.flat());
  } catch (error) {
    for (const request of requests) send(request, { id: request.id, ok: false, problem: problemOf(error) });
    return;
  }
  let offset = 0;
  requests.forEach((request, index) => {
    const length = (batches[index] as unknown[]).length;
    send(request, { id: request.id, ok: true, value: stored.slice(offset, offset + length) });
    offset += length;
  });
}

function run(operation: StoreOperation): StoreResults[StoreOperation['op']] {
  switch (operation.op) {
    case 'append':
      return open().append(operation.messages);
    case 'pinRoom':
      open().pinRoom(operation.room, operation.verifier);
      return null;
    case 'prune':
      return open().prune(operation.nowMs, operation.retention, operation.maxMessages);
    case 'after':
      return open().after(operation.room, operation.afterSeq, operation.limit);
    case 'before':
      return open().before(operation.room, operation.beforeSeq, operation.limit);
    case 'latestSeq':
      return open().latestSeq(operation.room);
    case 'roomVerifier':
      return open().roomVerifier(operation.room);
    case 'close':
      store?.close();
      store = undefined;
      return null;
    default: {
      const unknown: never = operation;
      throw new Error(`unknown store operation ${String((unknown as { op?: unknown }).op)}`);
    }
  }
}

function open(): HistoryStore {
  if (!store) throw new Error('the history store is closed');
  return store;
}

function answer(request: StoreRequest, work: () => StoreResults[StoreOperation['op']]): void {
  try {
    send(request, { id: request.id, ok: true, value: work() });
  } catch (error) {
    send(request, { id: request.id, ok: false, problem: problemOf(error) });
  }
}

/** A synchronous caller is blocked on the signal: the reply goes to its port first, then the signal wakes it. */
function send(request: StoreRequest, reply: StoreReply): void {
  if (!request.sync) {
    (port as NonNullable<typeof port>).postMessage(reply);
    return;
  }
  data.syncPort.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function problemOf(error: unknown): StoreProblem {
  const problem = asDatabaseError(error, data.file);
  return { reason: problem.reason, message: problem.message };
}

/** Closing on a clean exit checkpoints the log; a crash loses nothing committed either way. */
process.on('exit', () => store?.close());
