/**
 * The hosted relay's worker thread: the relay the extension hosts from the status bar, with its socket, its timer
 * and its SQLite history, runs here, so a group commit (one fsync, 7-20 ms under load) or a retention pass never
 * blocks the extension host. Built to dist/relay-worker.js; RelayHost starts one per start and reads what it says
 * (worker-messages.ts). `start` is answered with `listening` or `failed`, `stop` with `stopped`; after either
 * last word the worker lets go of its port and ends.
 */
import { parentPort } from 'node:worker_threads';
import { reclaimFromThisProcess } from '../history/file-owner';
import type { HistoryStore } from '../history/store';
import { openThreadedHistoryStore } from '../history/threaded-store';
import { relayFingerprint, type RelayIdentity } from '../protocol/relay-identity';
import { loadRelayIdentity } from './identity-file';
import { Relay } from './relay';
import { isHostToWorker, type RelayWorkerConfig, type WorkerToHost } from './worker-messages';

const port = parentPort;
if (!port) throw new Error('src/relay/worker.ts runs only as a worker thread (see RelayHost)');

let relay: Relay | undefined;
let starting: Promise<void> | undefined;
let stopping = false;

port.on('message', function portOnMessage(message: unknown) {
  if (!isHostToWorker(message)) {
    post({ type: 'log', level: 'warn', message: `relay worker: ignored a malformed message ${JSON.stringify(message)?.slice(0, 200)}` });
    return;
  }
  switch (message.type) {
    case 'start':
      starting ??= start(message.config);
      return;
    case 'stop':
      void stop();
      return;
    default:
      assertNever(message);
  }
});

async function start(config: RelayWorkerConfig): Promise<void> {
  let identity: RelayIdentity | undefined;
  if (config.identityFile !== undefined) {
    try {
      const loaded = await loadRelayIdentity(config.identityFile);
      identity = loaded.identity;
      post({ type: 'log', level: 'info', message: `relay identity ${relayFingerprint(identity.publicKey)}${loaded.created ? ' (new)' : ''}` });
    } catch (error) {
      return fail({ type: 'failed', stage: 'identity', message: messageOf(error) });
    }
  }
  let store: HistoryStore | undefined;
  if (config.history) {
    const { file, reclaim } = config.history;
    // An earlier worker of this host died holding the file: its owner marker names this process and is stale.
    if (reclaim) reclaimFromThisProcess(file);
    try {
      store = await openThreadedHistoryStore(file);
    } catch (error) {
      return fail({ type: 'failed', stage: 'history', message: messageOf(error) });
    }
    post({ type: 'log', level: 'info', message: `history in ${file}` });
  }
  try {
    relay = await Relay.start({
      host: config.host,
      port: config.port,
      acceptLegacy: config.acceptLegacy,
      identity,
      history: store ? { store, retention: config.history?.retention } : undefined,
      log: (level, message) => post({ type: 'log', level, message }),
    });
  } catch (error) {
    // Relay.start closed the store it was given.
    return fail({ type: 'failed', stage: 'listen', message: messageOf(error), code: (error as NodeJS.ErrnoException).code });
  }
  relay.on('members', (count) => post({ type: 'members', count }));
  post({ type: 'listening', host: relay.address.host, port: relay.address.port });
  if (stopping) await finish();
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (!starting) return finish();
  // A start under way sees `stopping` when it is listening and finishes itself; one that failed has said so.
  await starting;
  if (relay !== undefined) await finish();
}

/** Tells the members, closes the socket and the store (committing what waits), then ends the worker. */
async function finish(): Promise<void> {
  const running = relay;
  relay = undefined;
  try {
    await running?.close();
  } finally {
    post({ type: 'stopped' });
    port?.close();
  }
}

function fail(message: Extract<WorkerToHost, { type: 'failed' }>): void {
  post(message);
  port?.close();
}

function post(message: WorkerToHost): void {
  port?.postMessage(message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function assertNever(value: never): never {
  throw new Error(`unknown message ${JSON.stringify(value)}`);
}
