/**
 * The typed protocol between the extension host and the chat panel's webview. Compiled into both sides: it
 * imports nothing node-, DOM- or vscode-specific. Every message that crosses is checked by the guard of the side
 * that receives it; a message that fails the guard is dropped and logged.
 */

import type { ConnectionState, DeliveryState } from './states';

export type { ConnectionState, DeliveryState } from './states';

export interface MemberView {
  id: number;
  name: string;
  legacy: boolean;
  self: boolean;
}

export interface ImageView {
  /**
   * Where the webview loads the image: the webview-resource URL of its saved file (`asWebviewUri`), so the bytes
   * cross once, when the image is shown, and a `ready` re-posts only the URL. Undefined once the file is gone
   * (the disk quota deleted it) or while it is being saved.
   */
  src: string | undefined;
  width: number;
  height: number;
  bytes: number;
}

export interface DeliveryView {
  state: DeliveryState;
  /** 0..1 of the message acknowledged by the relay. */
  progress: number;
  reason?: string;
  /** Failed and no longer kept for a retry (the user discarded it, or it expired): nothing more will happen. */
  discarded?: boolean;
}

/** One line of the conversation. */
export type EntryView =
  | {
      kind: 'text';
      id: string;
      from: string;
      own: boolean;
      text: string;
      sentAt: number;
      legacy: boolean;
      encrypted: boolean;
      delivery?: DeliveryView;
    }
  | {
      kind: 'image';
      id: string;
      from: string;
      own: boolean;
      image: ImageView;
      sentAt: number;
      legacy: boolean;
      encrypted: boolean;
      delivery?: DeliveryView;
    }
  | { kind: 'system'; id: string; text: string; at: number; tone: 'info' | 'warning' | 'error' };

/** Something on its way in or out that takes a while: compressing, sending or receiving an image. */
export interface TransferView {
  id: string;
  direction: 'outgoing' | 'incoming';
  label: string;
  /** 0..1, or undefined while the amount is not known (compressing). */
  progress: number | undefined;
}

export interface StatsView {
  rttMs: number | undefined;
  lossPercent: number;
  retransmitted: number;
  sent: number;
}

export interface ChatStateView {
  connection: ConnectionState;
  connectionDetail: string;
  self: string | undefined;
  room: string | undefined;
  relay: string | undefined;
  encrypted: boolean;
  members: MemberView[];
  entries: EntryView[];
  transfers: TransferView[];
  stats: StatsView | undefined;
  maxTextBytes: number;
  /** True when older entries than `entries[0]` exist (in the local history or at the relay): scrolling up loads them. */
  hasOlder: boolean;
}

/** One search match: the entry it is in and a plain-text excerpt with the matched ranges (UTF-16 offsets). */
export interface SearchHitView {
  id: string;
  from: string;
  sentAt: number;
  excerpt: string;
  /** [start, end) offsets into `excerpt` of the matched words, ascending, disjoint. */
  matches: Array<[number, number]>;
}

/** Host → webview. */
export type HostMessage =
  | { type: 'state'; state: ChatStateView }
  | { type: 'entry'; entry: EntryView }
  | { type: 'delivery'; id: string; delivery: DeliveryView }
  | { type: 'members'; members: MemberView[] }
  | { type: 'connection'; state: ConnectionState; detail: string }
  | { type: 'transfer'; transfer: TransferView }
  | { type: 'transferDone'; id: string }
  | { type: 'stats'; stats: StatsView | undefined }
  | { type: 'focusComposer' }
  /** Entries older than what the panel shows, oldest first, answering `loadOlder`; `hasOlder` false: the start. */
  | { type: 'older'; requestId: number; entries: EntryView[]; hasOlder: boolean }
  /** The answer to `search`: the best matches, newest first (an empty list: nothing found). */
  | { type: 'searchResults'; requestId: number; query: string; hits: SearchHitView[] }
  /**
   * The answer to `jump`: a window of entries around `targetId` (oldest first) that replaces what the panel shows,
   * with the target scrolled into view and `highlight` marked in it; `hasNewer` true: a "Back to latest" way out.
   */
  | { type: 'jumpTo'; requestId: number; entries: EntryView[]; targetId: string; highlight: string; hasOlder: boolean; hasNewer: boolean }
  /** The room's history was cleared: the panel drops every entry. */
  | { type: 'historyCleared' };

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'retry'; id: string }
  /** Drops a failed message from the outbox: it will not be retried. */
  | { type: 'discard'; id: string }
  | { type: 'openImage'; id: string }
  /** Asks the host to open a link; it does so only after the user confirms. */
  | { type: 'openLink'; url: string }
  | { type: 'pickImage' }
  | { type: 'join' }
  | { type: 'leave' }
  /** Asks for up to `limit` entries older than `beforeId` (the oldest the panel shows). */
  | { type: 'loadOlder'; requestId: number; beforeId: string; limit: number }
  /** Full-text search over the room's history. */
  | { type: 'search'; requestId: number; query: string }
  /** Shows the conversation around one entry (a search hit); `query` is what to highlight. */
  | { type: 'jump'; requestId: number; id: string; query: string }
  /** Back to the newest entries after a jump. */
  | { type: 'latest' };

// ---- guards ---------------------------------------------------------------------------------------------------

type Unknown = Record<string, unknown>;

function isObject(value: unknown): value is Unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown, maxLength = 1 << 20): value is string {
  return typeof value === 'string' && value.length <= maxLength;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

const CONNECTION_STATES: readonly string[] = ['disconnected', 'connecting', 'connected', 'reconnecting', 'closed'];
const DELIVERY_STATES: readonly string[] = ['queued', 'sending', 'delivered', 'failed'];
/** Message ids are 16 hex digits; system entries use short words and digits. */
const ID_PATTERN = /^[0-9a-z-]{1,40}$/i;
/** Longest text the webview may ask to send, in UTF-16 units; the host checks the byte limit precisely. */
export const MAX_COMPOSER_CHARS = 64 * 1024;

/** Longest search query, in UTF-16 units; most entries a panel may ask for at once. */
export const MAX_QUERY_CHARS = 256;
export const MAX_PAGE_ENTRIES = 500;

/** Longest link the panel may ask to open. */
export const MAX_LINK_CHARS = 2048;

/** Longest image URL the panel accepts: a webview-resource URL of a file path. */
const MAX_IMAGE_URL_CHARS = 8192;

/**
 * Images load only over http(s) URLs (what `asWebviewUri` gives): never `data:`, `blob:`, `javascript:` or a
 * file path. The CSP then limits them to the webview's own resource origin.
 */
function isImageUrl(text: string): boolean {
  return /^https?:\/\/[^\s"'<>]+$/i.test(text);
}

/** Only http(s) links are ever opened. */
/**
 * An http(s) address with nothing hidden in it: no white space, no control, format (bidi, zero-width) or
 * separator characters, which could make the address the user confirms read as another.
 */
export function isWebLink(text: string): boolean {
  if (!/^https?:\/\/[^\s]+$/i.test(text) || /[\p{Cc}\p{Cf}\p{Z}]/u.test(text)) return false;
  try {
    return new URL(text).hostname.length > 0;
  } catch {
    return false;
  }
}

function isRequestId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isEntryId(value: unknown): value is string {
  return isString(value, 40) && ID_PATTERN.test(value);
}

function isPageSize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_PAGE_ENTRIES;
}

export function isWebviewMessage(value: unknown): value is WebviewMessage {
  if (!isObject(value) || !isString(value.type, 32)) return false;
  const type = value.type as WebviewMessage['type'];
  switch (type) {
    case 'ready':
    case 'pickImage':
    case 'join':
    case 'leave':
    case 'latest':
      return true;
    case 'loadOlder':
      return isRequestId(value.requestId) && isEntryId(value.beforeId) && isPageSize(value.limit);
    case 'search':
      return isRequestId(value.requestId) && isString(value.query, MAX_QUERY_CHARS);
    case 'jump':
      return isRequestId(value.requestId) && isEntryId(value.id) && isString(value.query, MAX_QUERY_CHARS);
    case 'send':
      return isString(value.text, MAX_COMPOSER_CHARS);
    case 'retry':
    case 'discard':
    case 'openImage':
      return isString(value.id, 40) && ID_PATTERN.test(value.id);
    case 'openLink':
      return isString(value.url, MAX_LINK_CHARS) && isWebLink(value.url);
    default:
      return assertNeverType(type);
  }
}

function isDelivery(value: unknown): value is DeliveryView {
  return (
    isObject(value) &&
    isString(value.state) &&
    DELIVERY_STATES.includes(value.state) &&
    isFiniteNumber(value.progress) &&
    (value.reason === undefined || isString(value.reason, 2000)) &&
    (value.discarded === undefined || isBoolean(value.discarded))
  );
}

function isMember(value: unknown): value is MemberView {
  return isObject(value) && isFiniteNumber(value.id) && isString(value.name, 256) && isBoolean(value.legacy) && isBoolean(value.self);
}

function isImage(value: unknown): value is ImageView {
  return (
    isObject(value) &&
    (value.src === undefined || (isString(value.src, MAX_IMAGE_URL_CHARS) && isImageUrl(value.src))) &&
    isFiniteNumber(value.width) &&
    isFiniteNumber(value.height) &&
    isFiniteNumber(value.bytes)
  );
}

export function isEntry(value: unknown): value is EntryView {
  if (!isObject(value) || !isString(value.id, 40)) return false;
  switch (value.kind) {
    case 'system':
      return isString(value.text) && isFiniteNumber(value.at) && (value.tone === 'info' || value.tone === 'warning' || value.tone === 'error');
    case 'text':
    case 'image': {
      const common =
        isString(value.from, 256) &&
        isBoolean(value.own) &&
        isFiniteNumber(value.sentAt) &&
        isBoolean(value.legacy) &&
        isBoolean(value.encrypted) &&
        (value.delivery === undefined || isDelivery(value.delivery));
      return common && (value.kind === 'text' ? isString(value.text) : isImage(value.image));
    }
    default:
      return false;
  }
}

function isTransfer(value: unknown): value is TransferView {
  return (
    isObject(value) &&
    isString(value.id, 64) &&
    (value.direction === 'outgoing' || value.direction === 'incoming') &&
    isString(value.label, 1000) &&
    (value.progress === undefined || isFiniteNumber(value.progress))
  );
}

function isStats(value: unknown): value is StatsView {
  return (
    isObject(value) &&
    (value.rttMs === undefined || isFiniteNumber(value.rttMs)) &&
    isFiniteNumber(value.lossPercent) &&
    isFiniteNumber(value.retransmitted) &&
    isFiniteNumber(value.sent)
  );
}

function isArrayOf<T>(value: unknown, guard: (item: unknown) => item is T): value is T[] {
  return Array.isArray(value) && value.every(guard);
}

function isChatState(value: unknown): value is ChatStateView {
  return (
    isObject(value) &&
    isString(value.connection) &&
    CONNECTION_STATES.includes(value.connection) &&
    isString(value.connectionDetail, 2000) &&
    (value.self === undefined || isString(value.self, 256)) &&
    (value.room === undefined || isString(value.room, 256)) &&
    (value.relay === undefined || isString(value.relay, 300)) &&
    isBoolean(value.encrypted) &&
    isArrayOf(value.members, isMember) &&
    isArrayOf(value.entries, isEntry) &&
    isArrayOf(value.transfers, isTransfer) &&
    (value.stats === undefined || isStats(value.stats)) &&
    isFiniteNumber(value.maxTextBytes) &&
    isBoolean(value.hasOlder)
  );
}

function isSearchHit(value: unknown): value is SearchHitView {
  return (
    isObject(value) &&
    isEntryId(value.id) &&
    isString(value.from, 256) &&
    isFiniteNumber(value.sentAt) &&
    isString(value.excerpt, 4000) &&
    Array.isArray(value.matches) &&
    value.matches.every(
      (range: unknown) =>
        Array.isArray(range) && range.length === 2 && Number.isSafeInteger(range[0]) && Number.isSafeInteger(range[1]) && range[0] >= 0 && range[0] < range[1],
    )
  );
}

export function isHostMessage(value: unknown): value is HostMessage {
  if (!isObject(value) || !isString(value.type, 32)) return false;
  const type = value.type as HostMessage['type'];
  switch (type) {
    case 'state':
      return isChatState(value.state);
    case 'entry':
      return isEntry(value.entry);
    case 'delivery':
      return isString(value.id, 40) && isDelivery(value.delivery);
    case 'members':
      return isArrayOf(value.members, isMember);
    case 'connection':
      return isString(value.state) && CONNECTION_STATES.includes(value.state) && isString(value.detail, 2000);
    case 'transfer':
      return isTransfer(value.transfer);
    case 'transferDone':
      return isString(value.id, 64);
    case 'stats':
      return value.stats === undefined || isStats(value.stats);
    case 'focusComposer':
    case 'historyCleared':
      return true;
    case 'older':
      return isRequestId(value.requestId) && isArrayOf(value.entries, isEntry) && isBoolean(value.hasOlder);
    case 'searchResults':
      return isRequestId(value.requestId) && isString(value.query, MAX_QUERY_CHARS) && isArrayOf(value.hits, isSearchHit);
    case 'jumpTo':
      return (
        isRequestId(value.requestId) &&
        isArrayOf(value.entries, isEntry) &&
        isEntryId(value.targetId) &&
        isString(value.highlight, MAX_QUERY_CHARS) &&
        isBoolean(value.hasOlder) &&
        isBoolean(value.hasNewer)
      );
    default:
      return assertNeverType(type);
  }
}

/** Exhaustiveness for the guards: a new message type without a case fails to compile. */
function assertNeverType(type: never): false {
  void type;
  return false;
}
