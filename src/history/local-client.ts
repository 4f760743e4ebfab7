/**
 * The extension host's face of the local history: requests go to the history worker thread (local-worker.ts) and
 * come back as promises. Every promise settles: with the answer, with the worker's error, when the worker dies
 * (every pending request is rejected, and the next request starts a new worker), when a request takes longer than
 * the time-out (the worker is ended), when too many are waiting, or on close.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker, workerScript } from '../util/worker-thread';
import { isWorkerReply, type LocalOp, type LocalProblem, type LocalRequest, type LocalResults, type LocalWorkerData, type WorkerReply } from './local-messages';

export interface LocalHistoryClientOptions {
  /** The SQLite file. */
  file: string;
  /**
   * The worker script. Default: history-worker.js next to this bundle (dist/), else src/history/local-worker.ts
   * run through tsx (tests, running from source).
   */
  workerPath?: string;
  /** A request still unanswered after this long fails and ends the worker (ms). */
  requestTimeoutMs?: number;
  /** Requests waiting at most; more are refused at once. */
  maxPending?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/** Why a request failed: `unavailable` (the file cannot be opened), `failed`, `crashed`, `timeout`, `busy`, `closed`. */
export class LocalHistoryError extends Error {
  override readonly name = 'LocalHistoryError';
  constructor(
    readonly code: LocalProblem['code'] | 'crashed' | 'timeout' | 'busy' | 'closed',
    message: string,
  ) {
    super(message);
  }
}

/** Opening the file and one page of a large room take well under a second; 30 s only ends a stuck worker. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** The host batches its writes, so a few hundred waiting requests already mean the worker has fallen behind. */
export const DEFAULT_MAX_PENDING = 1000;
/** How long close waits for the worker to write what it holds and close the file before ending it anyway (ms). */
const CLOSE_WAIT_MS = 5_000;

interface Pending {
  op: LocalOp;
  resolve(result: unknown): void;
  reject(error: LocalHistoryError): void;
  timer: NodeJS.Timeout;
}

export class LocalHistoryClient {
  readonly #options: Required<Omit<LocalHistoryClientOptions, 'log'>> & Pick<LocalHistoryClientOptions, 'log'>;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  /** Why the current worker failed, for the requests it takes down. */
  #failure: string | undefined;
  #nextId = 1;
  #closed = false;
  /** A worker of this client has run on the file before: the next one may reclaim its stale ownership. */
  #started = false;
  readonly #exiting = new Set<Promise<number>>();

  constructor(options: LocalHistoryClientOptions) {
    this.#options = {
      file: options.file,
      workerPath: options.workerPath ?? defaultWorkerPath(),
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      maxPending: options.maxPending ?? DEFAULT_MAX_PENDING,
      log: options.log,
    };
  }

  /** Requests waiting for their answer. */
  get pending(): number {
    return this.#pending.size;
  }

  request<K extends LocalOp>(request: Extract<LocalRequest, { op: K }>): Promise<LocalResults[K]> {
    if (this.#closed) return Promise.reject(new LocalHistoryError('closed', 'the local history is closed'));
    if (this.#pending.size >= this.#options.maxPending) {
      return Promise.reject(new LocalHistoryError('busy', `the local history has ${this.#pending.size} requests waiting`));
    }
    let worker: Worker;
    try {
      worker = this.#ensureWorker();
    } catch (error) {
      return Promise.reject(new LocalHistoryError('crashed', `the history worker did not start: ${messageOf(error)}`));
    }
    const id = this.#nextId++;
    return new Promise<LocalResults[K]>((resolve, reject) => {
      const timer = setTimeout(() => this.#onTimeout(id), this.#options.requestTimeoutMs);
      this.#pending.set(id, { op: request.op, resolve: resolve as (result: unknown) => void, reject, timer });
      worker.ref();
      try {
        worker.postMessage({ id, request });
      } catch (error) {
        this.#settle(id)?.reject(new LocalHistoryError('failed', `could not send the request: ${messageOf(error)}`));
      }
    });
  }

  /**
   * Closes the file in the worker (after what is waiting, which is answered), ends the worker and waits for it
   * to exit: no thread or timer remains.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#worker) {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
      await Promise.race([this.request({ op: 'close' }).catch(() => undefined), waited]);
      clearTimeout(timer);
    }
    this.#closed = true;
    this.#rejectAll(new LocalHistoryError('closed', 'the local history was closed'));
    if (this.#worker) this.#terminate(this.#worker);
    await Promise.all(this.#exiting);
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const data: LocalWorkerData = { file: this.#options.file, reclaim: this.#started };
    const worker = startWorker(this.#options.workerPath, { workerData: data });
    this.#started = true;
    this.#worker = worker;
    this.#failure = undefined;
    const client = this;
    worker.on('message', function workerOnMessage(message: unknown) {
      client.#onMessage(worker, message);
    });
    worker.on('error', function workerOnError(error: Error) {
      if (client.#worker === worker) client.#failure ??= `the history worker failed: ${error.message}`;
    });
    worker.on('exit', function workerOnExit(code: number) {
      client.#onExit(worker, code);
    });
    return worker;
  }

  #onMessage(worker: Worker, message: unknown): void {
    if (worker !== this.#worker) return;
    if (!isWorkerReply(message)) {
      this.#options.log?.('warn', `history worker: ignored a malformed reply ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    const reply: WorkerReply = message;
    const pending = this.#settle(reply.id);
    if (!pending) return;
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(new LocalHistoryError(reply.problem.code, reply.problem.message));
    if (this.#pending.size === 0) worker.unref();
  }

  #onExit(worker: Worker, code: number): void {
    if (worker !== this.#worker) return; // one ended on purpose; its requests were settled then
    this.#worker = undefined;
    const why = this.#failure ?? `the history worker stopped unexpectedly (exit code ${code})`;
    if (this.#pending.size > 0) this.#options.log?.('warn', `${why}; ${this.#pending.size} request(s) failed, the next one restarts it`);
    this.#rejectAll(new LocalHistoryError('crashed', why));
  }

  #onTimeout(id: number): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    const why = `the history worker did not answer "${pending.op}" within ${this.#options.requestTimeoutMs} ms`;
    this.#options.log?.('warn', `${why}; it is restarted on the next request`);
    // A stuck worker would hold every later request too: end it and fail what it holds.
    this.#rejectAll(new LocalHistoryError('timeout', why));
    if (this.#worker) this.#terminate(this.#worker);
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }

  #rejectAll(error: LocalHistoryError): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id)?.reject(error);
  }

  #terminate(worker: Worker): void {
    if (this.#worker === worker) this.#worker = undefined;
    const exited = worker.terminate().catch(() => -1);
    this.#exiting.add(exited);
    void exited.then(() => this.#exiting.delete(exited));
  }
}

/** The worker script when none was given: the bundle's, or the TypeScript source when running under tsx. */
function defaultWorkerPath(): string {
  return workerScript(__dirname, 'history-worker.js', 'local-worker.ts');
}


function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
