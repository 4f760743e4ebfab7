/**
 * Messages between the extension host (LocalHistoryClient) and the history worker thread (local-worker.ts): one
 * request union, what each request answers, and the guards each side runs on what it receives.
 */
import type { AppendResult } from './local-store';
import type { HistoryEntry, HistoryHit, HistoryPage, LocalRetention, RoomMarks } from './local-entry';
import { isSnippetMeta } from './local-snippet';

export type LocalRequest =
  | { op: 'append'; key: string; entries: HistoryEntry[]; now: number; retention: LocalRetention }
  | { op: 'update'; key: string; id: string; change: { delivered?: boolean; imageFile?: string | null } }
  /** The sender's edit of its message (the chat client checked the sender). */
  | { op: 'edit'; key: string; from: string; messageId: string; text: string; editedAt: number }
  /** The sender's delete of its message: kept as deleted, without its text, image file or reactions. */
  | { op: 'remove'; key: string; from: string; messageId: string }
  | { op: 'react'; key: string; messageId: string; from: string; emoji: string; on: boolean }
  | { op: 'latest'; key: string; limit: number }
  | { op: 'before'; key: string; id: string; limit: number; at?: number }
  | { op: 'around'; key: string; id: string; before: number; after: number }
  | { op: 'search'; key: string; query: string; limit: number }
  | { op: 'marks'; key: string }
  | { op: 'noteRelay'; key: string; latestSeq?: number; startReached?: boolean }
  | { op: 'messageKeys'; key: string; limit: number }
  | { op: 'touch'; key: string; now: number }
  | { op: 'lastRoom' }
  /** Forgets the room; deletes the image files it referenced that lie inside `ownedFolders` (the store's own). */
  | { op: 'clear'; key: string; ownedFolders: string[] }
  | { op: 'prune'; key: string; now: number; retention: LocalRetention }
  /** Closes the file (checkpointing its log and giving up its ownership); later requests are `unavailable`. */
  | { op: 'close' };

export type LocalOp = LocalRequest['op'];

/** What each request resolves with. */
export interface LocalResults {
  append: AppendResult[];
  update: boolean;
  edit: boolean;
  remove: boolean;
  react: void;
  latest: HistoryPage;
  before: HistoryPage;
  around: HistoryPage | undefined;
  search: HistoryHit[];
  marks: RoomMarks;
  noteRelay: void;
  messageKeys: string[];
  touch: void;
  lastRoom: string | undefined;
  clear: { removed: number; filesDeleted: number };
  prune: number;
  close: void;
}

/** Host → worker. */
export interface WorkerRequest {
  id: number;
  request: LocalRequest;
}

/** Why a request failed: the store could not be opened (`unavailable`), or this request failed (`failed`). */
export interface LocalProblem {
  code: 'unavailable' | 'failed';
  message: string;
}

/** Worker → host. */
export type WorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; problem: LocalProblem };

/** What the worker is started with (`workerData`). */
export interface LocalWorkerData {
  file: string;
  /**
   * An earlier worker of this client on the same file died without closing it: its ownership marker names this
   * process, and is stale (one client runs one worker at a time).
   */
  reclaim: boolean;
}

type Unknown = Record<string, unknown>;

/** Longest reaction kept, in UTF-16 units: a reaction is at most 32 bytes of UTF-8 (src/protocol/emoji.ts). */
const MAX_EMOJI_UNITS = 32;

function isObject(value: unknown): value is Unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function isRetention(value: unknown): value is LocalRetention {
  return isObject(value) && isTime(value.maxEntries) && isTime(value.maxAgeMs) && isTime(value.maxBytes);
}

function isHistoryEntry(value: unknown): value is HistoryEntry {
  if (!isObject(value) || !isString(value.id)) return false;
  if (value.kind === 'system') return isString(value.text) && isTime(value.at) && (value.tone === 'info' || value.tone === 'warning' || value.tone === 'error');
  const common =
    isString(value.messageId) &&
    isString(value.from) &&
    typeof value.own === 'boolean' &&
    isTime(value.sentAt) &&
    (value.seq === undefined || isCount(value.seq)) &&
    typeof value.legacy === 'boolean' &&
    typeof value.encrypted === 'boolean' &&
    typeof value.delivered === 'boolean' &&
    (value.replyTo === undefined || isString(value.replyTo)) &&
    (value.editedAt === undefined || isTime(value.editedAt)) &&
    (value.deleted === undefined || typeof value.deleted === 'boolean');
  if (!common) return false;
  if (value.kind === 'text') return isString(value.text) && (value.snippet === undefined || isSnippetMeta(value.snippet));
  if (value.kind !== 'image' || !isObject(value.image)) return false;
  const image = value.image;
  return (image.file === undefined || isString(image.file)) && isCount(image.width) && isCount(image.height) && isCount(image.bytes);
}

/** The worker's check of what the host asks. */
export function isWorkerRequest(value: unknown): value is WorkerRequest {
  if (!isObject(value) || !isCount(value.id) || !isObject(value.request)) return false;
  const request = value.request;
  const op = request.op as LocalOp;
  const keyed = isString(request.key);
  switch (op) {
    case 'append':
      return keyed && Array.isArray(request.entries) && request.entries.every(isHistoryEntry) && isTime(request.now) && isRetention(request.retention);
    case 'update': {
      const change = request.change;
      return (
        keyed &&
        isString(request.id) &&
        isObject(change) &&
        (change.delivered === undefined || typeof change.delivered === 'boolean') &&
        (change.imageFile === undefined || change.imageFile === null || isString(change.imageFile))
      );
    }
    case 'edit':
      return keyed && isString(request.from) && isString(request.messageId) && isString(request.text) && isTime(request.editedAt);
    case 'remove':
      return keyed && isString(request.from) && isString(request.messageId);
    case 'react':
      return keyed && isString(request.from) && isString(request.messageId) && isString(request.emoji) && request.emoji.length <= MAX_EMOJI_UNITS && typeof request.on === 'boolean';
    case 'latest':
    case 'messageKeys':
      return keyed && isCount(request.limit);
    case 'before':
      return keyed && isString(request.id) && isCount(request.limit) && (request.at === undefined || isTime(request.at));
    case 'around':
      return keyed && isString(request.id) && isCount(request.before) && isCount(request.after);
    case 'search':
      return keyed && isString(request.query) && isCount(request.limit);
    case 'marks':
      return keyed;
    case 'noteRelay':
      return keyed && (request.latestSeq === undefined || isCount(request.latestSeq)) && (request.startReached === undefined || typeof request.startReached === 'boolean');
    case 'touch':
      return keyed && isTime(request.now);
    case 'lastRoom':
    case 'close':
      return true;
    case 'clear':
      return keyed && Array.isArray(request.ownedFolders) && request.ownedFolders.every(isString);
    case 'prune':
      return keyed && isTime(request.now) && isRetention(request.retention);
    default:
      return assertNeverOp(op);
  }
}

/** The host's check of what the worker answers (the envelope; results are the worker's own values). */
export function isWorkerReply(value: unknown): value is WorkerReply {
  if (!isObject(value) || !isCount(value.id) || typeof value.ok !== 'boolean') return false;
  if (value.ok) return 'result' in value;
  const problem = value.problem;
  return isObject(problem) && (problem.code === 'unavailable' || problem.code === 'failed') && isString(problem.message);
}

function assertNeverOp(op: never): false {
  void op;
  return false;
}
