/**
 * The relay history in a worker thread (src/history/store-worker.ts), behind the same HistoryStore interface.
 *
 * Writes go in the background: `appendDurably` and `pinRoomLater` post and return at once, and the relay sends the
 * acknowledgements that make messages "delivered" when the append's promise settles, so its thread never waits for
 * an fsync. Reads (`after`, `before`, `latestSeq`, `roomVerifier`) stay synchronous, as the relay's core expects:
 * the caller blocks on a shared signal until the worker answers. They are rare (a member's history request, a
 * room's first message) and, served in posting order, they see every write posted before them.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { DatabaseError } from './database-error';
import type { HistoryStore, NewStoredMessage, Retention, RoomVerifier, StoredMessage } from './store';
import type { StoreOpened, StoreOperation, StoreReply, StoreRequest, StoreResults, StoreWorkerData } from './store-thread-messages';
import { startWorker, workerScript } from '../util/worker-thread';

/**
 * How long (ms) a synchronous read waits for the worker before it gives up with an error. Reads queue behind the
 * writes posted before them; on a disk whose fsync takes 20 ms, a few hundred of those fit, while a worker that
 * died mid-request is noticed.
 */
const SYNC_TIMEOUT_MS = 10_000;
/**
 * How long (ms) a background append waits for others to join its commit, here before it is posted. Every commit
 * costs an fsync, and the kernel's work for it (the log's pages, the file system's journal) is CPU the relay's own
 * thread then lacks: committing each turn's few messages at once, a relay forwarding 400 messages/s to 100 members
 * used 40 % of a core more with history than without. Gathered here rather than in the worker, a batch is also
 * one postMessage (a structured clone and a wake-up of the worker) instead of one per turn: at 1,000 messages/s to
 * 100 members, 4 % of a core less. Waiting this long bounds commits to 100 per second and adds at most this much to
 * when a sender hears "delivered"; a read, any other write, or close posts what is gathered first.
 */
const COMMIT_GATHER_MS = 10;
/** How long (ms) the worker may take to open the file (WebAssembly compile, migrations) before the open fails. */
const OPEN_TIMEOUT_MS = 30_000;

/** The background writes a relay uses when its store offers them. */
export interface BackgroundWrites {
  /** Resolves once the messages are durable (with their numbers); rejects with a DatabaseError if they are not. */
  appendDurably(messages: readonly NewStoredMessage[]): Promise<StoredMessage[]>;
  /** Committed before any append posted after it. */
  pinRoomLater(room: string, verifier: RoomVerifier): Promise<void>;
  pruneLater(nowMs: number, retention: Retention, maxMessages: number): Promise<number>;
  /** Waits for every write posted so far, then closes the file and stops the worker. */
  closeWhenDone(): Promise<void>;
}

/** Background appends waiting to be posted as one commit. */
interface GatheredAppends {
  messages: NewStoredMessage[];
  waiters: Array<{ count: number; resolve(stored: StoredMessage[]): void; reject(error: unknown): void }>;
  timer: NodeJS.Timeout;
}

export function hasBackgroundWrites(store: HistoryStore): store is HistoryStore & BackgroundWrites {
  return typeof (store as Partial<BackgroundWrites>).appendDurably === 'function';
}

/** Opens `file` in a new worker thread; rejects with a DatabaseError (as openSqliteHistoryStore throws) if it cannot. */
export async function openThreadedHistoryStore(file: string, options: { reclaim?: boolean } = {}): Promise<ThreadedHistoryStore> {
  const signal = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const workerData: StoreWorkerData = { file, reclaim: options.reclaim ?? false, signal, syncPort: port2 };
  const worker = startWorker(workerScript(__dirname, 'history-store-worker.js', 'store-worker.ts'), { workerData, transferList: [port2] });
  const opened = await new Promise<StoreOpened>((resolve) => {
    const timer = setTimeout(() => resolve({ opened: false, problem: { reason: 'io', message: `${file}: the history did not open within ${OPEN_TIMEOUT_MS / 1000} s` } }), OPEN_TIMEOUT_MS);
    const settle = (result: StoreOpened): void => {
      clearTimeout(timer);
      worker.off('message', workerOnFirstMessage);
      worker.off('error', workerOnError);
      worker.off('exit', workerOnExit);
      resolve(result);
    };
    const workerOnFirstMessage = (message: StoreOpened): void => settle(message);
    const workerOnError = (error: Error): void => settle({ opened: false, problem: { reason: 'failed', message: `${file}: ${error.message}` } });
    const workerOnExit = (code: number): void => settle({ opened: false, problem: { reason: 'failed', message: `${file}: the history worker exited (${code})` } });
    worker.on('message', workerOnFirstMessage);
    worker.once('error', workerOnError);
    worker.once('exit', workerOnExit);
  });
  if (!opened.opened) {
    port1.close();
    await worker.terminate();
    throw new DatabaseError(opened.problem.reason, file, opened.problem.message);
  }
  return new ThreadedHistoryStore(file, worker, port1, new Int32Array(signal));
}

export class ThreadedHistoryStore implements HistoryStore, BackgroundWrites {
  readonly #file: string;
  readonly #worker: Worker;
  readonly #syncPort: MessagePort;
  readonly #signal: Int32Array;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  /** Why the worker can no longer answer, once it cannot: every later call fails with it. */
  #broken: DatabaseError | undefined;
  #closed: Promise<void> | undefined;
  /**
   * The pin in force per room, as last read: the relay asks before numbering each message, and a read through the
   * worker per message would block this thread as often. Writes keep it true: a pin written drops its room's entry
   * (whether it is in force yet depends on the room having messages: read once more), an append drops an entry that
   * said "no pin" for a room pinned since, and a prune (which may empty a room, dropping its pin) drops them all.
   */
  readonly #verifiers = new Map<string, RoomVerifier | undefined>();
  /** Rooms a pin was written for by this store. */
  readonly #pinnedRooms = new Set<string>();
  #blockingCalls = 0;
  #backgroundPosts = 0;
  /** Background appends gathered for one commit, and who waits for which of them, until COMMIT_GATHER_MS is up. */
  #gathered: GatheredAppends | undefined;

  constructor(file: string, worker: Worker, syncPort: MessagePort, signal: Int32Array) {
    this.#file = file;
    this.#worker = worker;
    this.#syncPort = syncPort;
    this.#signal = signal;
    worker.on('message', this.#workerOnMessage);
    worker.on('error', this.#workerOnError);
    worker.on('exit', this.#workerOnExit);
  }

  appendDurably(messages: readonly NewStoredMessage[]): Promise<StoredMessage[]> {
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#closed) return Promise.reject(this.#closedError());
    this.#appending(messages);
    const gathered = (this.#gathered ??= { messages: [], waiters: [], timer: setTimeout(this.#postGathered, COMMIT_GATHER_MS) });
    const stored = new Promise<StoredMessage[]>((resolve, reject) => {
      gathered.waiters.push({ count: messages.length, resolve, reject });
    });
    gathered.messages.push(...messages);
    return stored.catch((error: unknown) => {
      this.#verifiers.clear();
      throw error;
    });
  }

  /** Posts the gathered appends as one; each waiter is answered with its own messages, or fails with all of them. */
  #postGathered = (): void => {
    const gathered = this.#gathered;
    if (!gathered) return;
    this.#gathered = undefined;
    clearTimeout(gathered.timer);
    this.#post({ op: 'append', messages: gathered.messages }).then(
      (stored) => {
        let offset = 0;
        for (const waiter of gathered.waiters) {
          waiter.resolve(stored.slice(offset, offset + waiter.count));
          offset += waiter.count;
        }
      },
      (error: unknown) => {
        for (const waiter of gathered.waiters) waiter.reject(error);
      },
    );
  };

  async pinRoomLater(room: string, verifier: RoomVerifier): Promise<void> {
    this.#pinning(room);
    await this.#post({ op: 'pinRoom', room, verifier });
  }

  pruneLater(nowMs: number, retention: Retention, maxMessages: number): Promise<number> {
    this.#verifiers.clear();
    return this.#post({ op: 'prune', nowMs, retention, maxMessages });
  }

  append(messages: readonly NewStoredMessage[]): StoredMessage[] {
    this.#appending(messages);
    try {
      return this.#call({ op: 'append', messages: [...messages] });
    } catch (error) {
      this.#verifiers.clear();
      throw error;
    }
  }

  after(room: string, afterSeq: number, limit: number): StoredMessage[] {
    return this.#call({ op: 'after', room, afterSeq, limit });
  }

  before(room: string, beforeSeq: number, limit: number): StoredMessage[] {
    return this.#call({ op: 'before', room, beforeSeq, limit });
  }

  latestSeq(room: string): number {
    return this.#call({ op: 'latestSeq', room });
  }

  prune(nowMs: number, retention: Retention, maxMessages?: number): number {
    this.#verifiers.clear();
    return this.#call({ op: 'prune', nowMs, retention, maxMessages: maxMessages ?? Number.MAX_SAFE_INTEGER });
  }

  roomVerifier(room: string): RoomVerifier | undefined {
    if (this.#verifiers.has(room)) return this.#verifiers.get(room);
    const verifier = this.#call({ op: 'roomVerifier', room });
    this.#verifiers.set(room, verifier);
    return verifier;
  }

  pinRoom(room: string, verifier: RoomVerifier): void {
    this.#pinning(room);
    this.#call({ op: 'pinRoom', room, verifier });
  }

  /** How many calls have blocked this thread on the worker so far. */
  get blockingCalls(): number {
    return this.#blockingCalls;
  }

  /** How many requests have been posted to the worker without waiting so far (gathered appends count once). */
  get backgroundPosts(): number {
    return this.#backgroundPosts;
  }

  #pinning(room: string): void {
    this.#pinnedRooms.add(room);
    this.#verifiers.delete(room);
  }

  /** A pin written before a room's first message comes into force with it. */
  #appending(messages: readonly NewStoredMessage[]): void {
    for (const { room } of messages) {
      if (this.#pinnedRooms.has(room) && this.#verifiers.has(room) && this.#verifiers.get(room) === undefined) this.#verifiers.delete(room);
    }
  }

  /** Synchronous, as HistoryStore's close: waits for the worker to commit what it has and close the file. */
  close(): void {
    if (this.#closed || this.#broken) {
      void this.#worker.terminate();
      return;
    }
    try {
      this.#call({ op: 'close' });
    } finally {
      this.#closed = this.#worker.terminate().then(() => undefined);
    }
  }

  closeWhenDone(): Promise<void> {
    if (this.#closed) return this.#closed;
    if (this.#broken) {
      this.#closed = this.#worker.terminate().then(() => undefined);
      return this.#closed;
    }
    this.#closed = this.#post({ op: 'close' }).then(
      () => this.#worker.terminate().then(() => undefined),
      () => this.#worker.terminate().then(() => undefined),
    );
    return this.#closed;
  }

  #closedError(): DatabaseError {
    return new DatabaseError('failed', this.#file, `${this.#file}: the history is closed`);
  }

  /** Posts `operation` behind the gathered appends: the worker serves in posting order, so it sees them. */
  #post<K extends StoreOperation['op']>(operation: Extract<StoreOperation, { op: K }>): Promise<StoreResults[K]> {
    if (operation.op !== 'append') this.#postGathered();
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#closed) return Promise.reject(this.#closedError());
    const id = this.#nextId++;
    this.#backgroundPosts++;
    return new Promise<StoreResults[K]>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ id, sync: false, operation } satisfies StoreRequest);
    });
  }

  /** Blocks until the worker answers `operation`, which it serves after the gathered appends (posted first). */
  #call<K extends StoreOperation['op']>(operation: Extract<StoreOperation, { op: K }>): StoreResults[K] {
    this.#postGathered();
    if (this.#broken) throw this.#broken;
    if (this.#closed) throw this.#closedError();
    const id = this.#nextId++;
    this.#blockingCalls++;
    Atomics.store(this.#signal, 0, 0);
    this.#worker.postMessage({ id, sync: true, operation } satisfies StoreRequest);
    const deadline = Date.now() + SYNC_TIMEOUT_MS;
    for (;;) {
      const received = receiveMessageOnPort(this.#syncPort) as { message: StoreReply } | undefined;
      if (received) {
        const reply = received.message;
        if (reply.id !== id) continue; // an answer to a call that timed out: stale
        if (!reply.ok) throw new DatabaseError(reply.problem.reason, this.#file, reply.problem.message);
        return reply.value as StoreResults[K];
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const error = new DatabaseError('io', this.#file, `${this.#file}: the history worker did not answer within ${SYNC_TIMEOUT_MS / 1000} s`);
        this.#break(error);
        throw error;
      }
      Atomics.wait(this.#signal, 0, 0, remaining);
      Atomics.store(this.#signal, 0, 0);
    }
  }

  #workerOnMessage = (reply: StoreReply): void => {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(new DatabaseError(reply.problem.reason, this.#file, reply.problem.message));
  };

  #workerOnError = (error: Error): void => {
    this.#break(new DatabaseError('failed', this.#file, `${this.#file}: the history worker failed: ${error.message}`, { cause: error }));
  };

  #workerOnExit = (code: number): void => {
    if (this.#closed && this.#pending.size === 0) return;
    this.#break(new DatabaseError('failed', this.#file, `${this.#file}: the history worker exited (${code})`));
  };

  /** Every write still waiting fails: it may not be durable, so nothing waiting on it is told "delivered". */
  #break(error: DatabaseError): void {
    this.#broken ??= error;
    const gathered = this.#gathered;
    this.#gathered = undefined;
    if (gathered) {
      clearTimeout(gathered.timer);
      for (const waiter of gathered.waiters) waiter.reject(this.#broken);
    }
    for (const pending of this.#pending.values()) pending.reject(this.#broken);
    this.#pending.clear();
  }
}
