/**
 * Requests and replies between ThreadedHistoryStore (src/history/threaded-store.ts) and its worker thread
 * (src/history/store-worker.ts). One union each way; the worker answers every request exactly once, in the order
 * the requests were posted.
 */
import type { DatabaseErrorReason } from './database-error';
import type { NewStoredMessage, Retention, RoomVerifier, StoredMessage } from './store';

export type StoreOperation =
  | { op: 'append'; messages: NewStoredMessage[] }
  | { op: 'pinRoom'; room: string; verifier: RoomVerifier }
  | { op: 'prune'; nowMs: number; retention: Retention; maxMessages: number }
  | { op: 'after'; room: string; afterSeq: number; limit: number }
  | { op: 'before'; room: string; beforeSeq: number; limit: number }
  | { op: 'latestSeq'; room: string }
  | { op: 'roomVerifier'; room: string }
  | { op: 'close' };

/** What each operation answers with. */
export interface StoreResults {
  append: StoredMessage[];
  pinRoom: null;
  prune: number;
  after: StoredMessage[];
  before: StoredMessage[];
  latestSeq: number;
  roomVerifier: RoomVerifier | undefined;
  close: null;
}

/** `sync`: the caller is blocked on the shared signal and reads the reply from the synchronous port. */
export type StoreRequest = { id: number; sync: boolean; operation: StoreOperation };

/** Enough of a DatabaseError to raise it again on the other side. */
export interface StoreProblem {
  reason: DatabaseErrorReason;
  message: string;
}

export type StoreReply = { id: number; ok: true; value: StoreResults[StoreOperation['op']] } | { id: number; ok: false; problem: StoreProblem };

/** What the worker starts with: the file, the signal a blocked caller waits on, and the port for its replies. */
export interface StoreWorkerData {
  file: string;
  /** Reclaim an owner marker of this process left by an earlier worker that died (see file-owner.ts). */
  reclaim: boolean;
  /** Int32Array over it: slot 0 is set to 1 and notified once a synchronous reply has been posted. */
  signal: SharedArrayBuffer;
  syncPort: import('node:worker_threads').MessagePort;
}

/** The worker's first message: the store is open, or why it is not. */
export type StoreOpened = { opened: true } | { opened: false; problem: StoreProblem };

const OPERATIONS = new Set<string>(['append', 'pinRoom', 'prune', 'after', 'before', 'latestSeq', 'roomVerifier', 'close']);

export function isStoreRequest(value: unknown): value is StoreRequest {
  if (typeof value !== 'object' || value === null) return false;
  const request = value as Partial<StoreRequest>;
  return (
    Number.isSafeInteger(request.id) &&
    typeof request.sync === 'boolean' &&
    typeof request.operation === 'object' &&
    request.operation !== null &&
    OPERATIONS.has((request.operation as { op?: unknown }).op as string)
  );
}
