/**
 * The relay hosted inside the extension host (started from the status bar). The relay itself, its socket and its
 * history run in a worker thread (src/relay/worker.ts): a history commit waits for the disk (p99 10-13 ms, up to
 * 30 ms measured here), longer than the extension host may ever block. No vscode here: the status bar and commands
 * observe it through its events. Every start and stop settles: with the worker's answer, when the worker dies, or
 * after a time-out that ends it.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Retention } from '../history/store';
import { formatHostPort } from '../protocol/address';
import type { RelayLogger } from '../relay/relay';
import { isWorkerToHost, type HostToWorker, type RelayWorkerConfig, type WorkerToHost } from '../relay/worker-messages';
import { TypedEmitter } from '../util/typed-emitter';
import { startWorker, workerScript } from '../util/worker-thread';

export interface HostedRelay {
  bindAddress: string;
  port: number;
  members: number;
}

export type RelayHostEvents = {
  changed: [relay: HostedRelay | undefined];
};

export class RelayHostError extends Error {}

export interface RelayHostOptions {
  /**
   * Where the relay's long-term identity is kept (the extension's globalStorage), so members who pinned it on first
   * use still recognise this relay after a restart; without it each start is a new identity.
   */
  identityFile?: string;
  /** The history's SQLite file (the extension's globalStorage); without it the hosted relay keeps nothing. */
  historyFile?: string;
  /** The worker script; default relay-worker.js next to this bundle, else src/relay/worker.ts (tests). */
  workerPath?: string;
  /** Starts the worker thread (tests keep a handle to it); default startWorker. */
  spawn?: (file: string) => Worker;
}

export interface RelayStartOptions {
  host: string;
  port: number;
  acceptLegacy: boolean;
  /** Keep every room's messages (in `historyFile`) for this long and up to this much; omitted: keep nothing. */
  history?: Retention;
}

/**
 * Opening the identity and the history (compiling SQLite's WebAssembly) takes well under a second; a start still
 * unanswered after this long (ms) is a stuck worker, ended.
 */
const START_TIMEOUT_MS = 30_000;
/** Telling the members and committing what waits takes milliseconds; a stop waits this long (ms) before ending it. */
const STOP_TIMEOUT_MS = 5_000;

/** One worker: its relay's address and members, and what settles the start or stop waiting on it. */
interface Running {
  worker: Worker;
  relay: HostedRelay | undefined;
  /** Why it ended without being asked to (the worker's uncaught error), for the failure it reports. */
  error: string | undefined;
  stopRequested: boolean;
  exited: Promise<void>;
}

export class RelayHost extends TypedEmitter<RelayHostEvents> {
  readonly #log: RelayLogger;
  readonly #options: RelayHostOptions;
  #running: Running | undefined;
  #starting: Promise<HostedRelay> | undefined;
  #failure: string | undefined;
  /** The current worker's uncaught error, if it had one (it ends the worker). */
  #workerError: string | undefined;
  /** A worker of this host has opened the history: the next one may reclaim the file a crashed one still marks. */
  #historyOpened = false;

  constructor(log: RelayLogger, options: RelayHostOptions = {}) {
    super();
    this.#log = log;
    this.#options = options;
  }

  get current(): HostedRelay | undefined {
    const relay = this.#running?.relay;
    return relay ? { ...relay } : undefined;
  }

  /** Why the last hosted relay stopped by itself (its worker crashed); cleared by the next start. */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** Starts the relay; throws RelayHostError with a readable reason (port in use, bad address). */
  start(options: RelayStartOptions): Promise<HostedRelay> {
    const current = this.current;
    if (current) return Promise.resolve(current);
    this.#starting ??= this.#start(options).finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(options: RelayStartOptions): Promise<HostedRelay> {
    this.#failure = undefined;
    const historyFile = options.history ? this.#options.historyFile : undefined;
    const config: RelayWorkerConfig = {
      host: options.host,
      port: options.port,
      acceptLegacy: options.acceptLegacy,
      identityFile: this.#options.identityFile,
      history: historyFile && options.history ? { file: historyFile, retention: options.history, reclaim: this.#historyOpened } : undefined,
    };
    let worker: Worker;
    try {
      worker = (this.#options.spawn ?? startWorker)(this.#options.workerPath ?? workerScript(__dirname, 'relay-worker.js', '../relay/worker.ts'));
    } catch (error) {
      throw new RelayHostError(`Could not start the relay: ${messageOf(error)}`);
    }
    if (historyFile) this.#historyOpened = true;
    const answer = await this.#run(worker, { type: 'start', config }, START_TIMEOUT_MS, (message) => message.type === 'listening' || message.type === 'failed');
    if (answer?.type !== 'listening') throw startError(answer, options, historyFile, this.#workerError);
    this.#log('info', `relay listening on ${formatHostPort(answer.host, answer.port)}`);
    this.emit('changed', this.current);
    return this.current as HostedRelay;
  }

  /**
   * Runs `worker` as the current one and sends it `request`; resolves with the first message `settles` accepts,
   * or undefined when the worker ended first or took longer than `timeoutMs` (then it is ended).
   */
  #run(worker: Worker, request: HostToWorker, timeoutMs: number, settles: (message: WorkerToHost) => boolean): Promise<WorkerToHost | undefined> {
    const running: Running = { worker, relay: undefined, error: undefined, stopRequested: false, exited: Promise.resolve() };
    this.#running = running;
    this.#workerError = undefined;
    const host = this;
    let answered: (message: WorkerToHost | undefined) => void = () => {};
    const answer = new Promise<WorkerToHost | undefined>((resolve) => (answered = resolve));
    running.exited = new Promise<void>((resolve) => {
      worker.on('exit', function workerOnExit(code: number) {
        answered(undefined);
        host.#onExit(running, code);
        resolve();
      });
    });
    worker.on('error', function workerOnError(error: Error) {
      running.error ??= error.message;
      if (host.#running === running) host.#workerError = running.error;
    });
    worker.on('message', function workerOnMessage(message: unknown) {
      if (!isWorkerToHost(message)) {
        host.#log('warn', `relay worker: ignored a malformed message ${JSON.stringify(message)?.slice(0, 200)}`);
        return;
      }
      host.#onMessage(running, message);
      if (settles(message)) answered(message);
    });
    const timer = setTimeout(() => {
      this.#log('warn', `the relay worker did not answer "${request.type}" within ${timeoutMs} ms; it is ended`);
      answered(undefined);
      void worker.terminate();
    }, timeoutMs);
    void answer.then(() => clearTimeout(timer));
    worker.postMessage(request);
    return answer;
  }

  #onMessage(running: Running, message: WorkerToHost): void {
    switch (message.type) {
      case 'listening':
        running.relay = { bindAddress: message.host, port: message.port, members: 0 };
        return;
      case 'members':
        if (!running.relay) return;
        running.relay.members = message.count;
        if (this.#running === running) this.emit('changed', this.current);
        return;
      case 'log':
        this.#log(message.level, message.message);
        return;
      case 'failed':
      case 'stopped':
        return;
      default:
        assertNever(message);
    }
  }

  #onExit(running: Running, code: number): void {
    if (this.#running !== running) return;
    this.#running = undefined;
    const wasListening = running.relay !== undefined;
    running.relay = undefined;
    if (running.stopRequested || !wasListening) return; // a stop, or a start that failed (its caller is told)
    this.#failure = running.error ?? `the relay's worker stopped unexpectedly (exit code ${code})`;
    this.#log('warn', `relay stopped: ${this.#failure}`);
    this.emit('changed', undefined);
  }

  async stop(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    const running = this.#running;
    if (!running || running.stopRequested) {
      await running?.exited;
      return;
    }
    running.stopRequested = true;
    const { worker } = running;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)));
    worker.postMessage({ type: 'stop' } satisfies HostToWorker);
    await Promise.race([running.exited, timedOut]);
    clearTimeout(timer);
    if (this.#running === running) {
      this.#log('warn', `the relay worker did not stop within ${STOP_TIMEOUT_MS} ms; it is ended`);
      await worker.terminate().catch(() => undefined);
      await running.exited;
    }
    this.#log('info', 'relay stopped');
    this.emit('changed', undefined);
  }

  /** The address others should type to reach this relay: a LAN address of this machine, else loopback. */
  shareableAddress(): string | undefined {
    const relay = this.current;
    if (!relay) return undefined;
    const bound = relay.bindAddress;
    if (bound !== '0.0.0.0' && bound !== '::') return formatHostPort(bound, relay.port);
    return formatHostPort(lanAddress() ?? '127.0.0.1', relay.port);
  }
}

/** The readable reason a start failed, naming the setting to change. */
function startError(answer: WorkerToHost | undefined, options: RelayStartOptions, historyFile: string | undefined, workerError: string | undefined): RelayHostError {
  if (answer?.type !== 'failed') return new RelayHostError(`Could not start the relay: its worker stopped before it was listening${workerError ? ` (${workerError})` : ''}.`);
  switch (answer.stage) {
    case 'identity':
      return new RelayHostError(`Could not read the relay's identity key: ${answer.message}`);
    case 'history':
      return new RelayHostError(`Could not open the relay's history in ${historyFile ?? 'its file'}: ${answer.message}. Turn off "udpChat.hostHistory" to host without it.`);
    case 'listen':
      if (answer.code === 'EADDRINUSE') {
        return new RelayHostError(`Port ${options.port} is already in use (is a relay already running?). Change "udpChat.hostPort" to use another.`);
      }
      if (answer.code === 'EADDRNOTAVAIL' || answer.code === 'ENOTFOUND' || answer.code === 'EINVAL') {
        return new RelayHostError(`"${options.host}" is not an address of this machine. Check "udpChat.hostAddress".`);
      }
      return new RelayHostError(`Could not start the relay: ${answer.message}`);
    default:
      return assertNever(answer.stage);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

/** The first non-internal IPv4 address of this machine. */
export function lanAddress(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

/** True when `host` names this machine (loopback, any-address, or one of its interfaces). */
export function isLocalHost(host: string): boolean {
  if (host === 'localhost' || host === '0.0.0.0' || host === '::' || host === '::1' || host.startsWith('127.')) return true;
  return Object.values(os.networkInterfaces()).some((addresses) => (addresses ?? []).some((address) => address.address === host));
}
