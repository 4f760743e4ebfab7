/**
 * Messages between RelayHost (the extension host) and the hosted relay's worker thread (worker.ts): one union
 * each way, and the guard each side runs on what it receives. The relay, its socket and its SQLite history live in
 * the worker, so no commit (an fsync of 7-20 ms) and no retention pass ever runs on the extension host's thread.
 */
import type { Retention } from '../history/store';
import type { RelayLogLevel } from './roster';

/** What the worker starts the relay with. */
export interface RelayWorkerConfig {
  host: string;
  /** 0 picks a free port. */
  port: number;
  acceptLegacy: boolean;
  /** The relay's identity key file (created, 0600, when missing); without it each start is a new identity. */
  identityFile?: string;
  /** The history's SQLite file and what it keeps; without it the relay keeps nothing. */
  history?: { file: string; retention: Retention; reclaim: boolean };
}

/** Host → worker: `start` once, then `stop`. */
export type HostToWorker = { type: 'start'; config: RelayWorkerConfig } | { type: 'stop' };

/** Why the relay did not start: its identity or history could not be opened, or the socket could not bind. */
export type StartStage = 'identity' | 'history' | 'listen';

/** Worker → host. `failed` and `stopped` are the last message; the worker then ends. */
export type WorkerToHost =
  | { type: 'listening'; host: string; port: number }
  | { type: 'failed'; stage: StartStage; message: string; code?: string }
  | { type: 'members'; count: number }
  | { type: 'log'; level: RelayLogLevel; message: string }
  | { type: 'stopped' };

type Unknown = Record<string, unknown>;

function isObject(value: unknown): value is Unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isPort = (value: unknown): value is number => isCount(value) && value <= 65_535;
const isPositive = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;

function isConfig(value: unknown): value is RelayWorkerConfig {
  if (!isObject(value) || !isString(value.host) || !isPort(value.port) || typeof value.acceptLegacy !== 'boolean') return false;
  if (value.identityFile !== undefined && !isString(value.identityFile)) return false;
  const history = value.history;
  if (history === undefined) return true;
  return (
    isObject(history) &&
    isString(history.file) &&
    typeof history.reclaim === 'boolean' &&
    isObject(history.retention) &&
    isPositive(history.retention.maxAgeMs) &&
    isPositive(history.retention.maxRoomBytes)
  );
}

/** The worker's check of what the host sends. */
export function isHostToWorker(value: unknown): value is HostToWorker {
  if (!isObject(value)) return false;
  const type = value.type as HostToWorker['type'];
  switch (type) {
    case 'start':
      return isConfig(value.config);
    case 'stop':
      return true;
    default:
      return unknownType(type);
  }
}

/** The host's check of what the worker sends. */
export function isWorkerToHost(value: unknown): value is WorkerToHost {
  if (!isObject(value)) return false;
  const type = value.type as WorkerToHost['type'];
  switch (type) {
    case 'listening':
      return isString(value.host) && isPort(value.port);
    case 'failed':
      return (
        (value.stage === 'identity' || value.stage === 'history' || value.stage === 'listen') &&
        isString(value.message) &&
        (value.code === undefined || isString(value.code))
      );
    case 'members':
      return isCount(value.count);
    case 'log':
      return (value.level === 'debug' || value.level === 'info' || value.level === 'warn') && isString(value.message);
    case 'stopped':
      return true;
    default:
      return unknownType(type);
  }
}

function unknownType(type: never): false {
  void type;
  return false;
}
