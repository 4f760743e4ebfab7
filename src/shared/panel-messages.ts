/**
 * The typed protocol between the extension host and the chat panel's webview. Compiled into both sides: it
 * imports nothing node-, DOM- or vscode-specific. Every message that crosses is checked by the guard of the side
 * that receives it; a message that fails the guard is dropped and logged.
 */

import type { ConnectionState, DeliveryState } from './states';

export type { ConnectionState, DeliveryState } from './states';

export type * from './panel-views';
import type {
  MemberView,
  PresenceState,
  ReplyView,
  ReactionView,
  ReadMarkView,
  UnreadView,
  ImageView,
  DeliveryView,
  MessageExtras,
  EntryView,
  TransferView,
  StatsView,
  ChatStateView,
  SearchHitView,
} from './panel-views';

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
  | { type: 'historyCleared' }
  | { type: 'unread'; unread: UnreadView }
  | { type: 'typing'; names: string[] }
  /** Start a reply to this message (the notification's Reply): the composer quotes it and takes focus. */
  | { type: 'startReply'; id: string };

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  /** `replyTo`: the id of the message this one answers. */
  | { type: 'send'; text: string; replyTo?: string }
  /** Adds (`on`) or takes back your `emoji` on a message. */
  | { type: 'react'; id: string; emoji: string; on: boolean }
  /** Replaces the text of a message of yours. */
  | { type: 'edit'; id: string; text: string }
  /** Deletes a message of yours for everyone. */
  | { type: 'delete'; id: string }
  /** The user is typing in the composer (the host rate-limits what it sends). */
  | { type: 'typing' }
  /** Whether the newest message is in view (the reader follows the conversation): what reading means. */
  | { type: 'viewed'; atBottom: boolean }
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

/** Longest excerpt of a replied-to message, in UTF-16 units. */
export const MAX_EXCERPT_CHARS = 200;
/** Longest emoji (a ZWJ sequence with skin tones is about a dozen units). */
export const MAX_EMOJI_CHARS = 32;
/** Most members named in a typing line or a reaction the panel accepts. */
const MAX_NAMES = 256;

/**
 * An emoji: one or more pictographs or emoji presentation characters, with the joiners, variation selectors,
 * skin tones and keycaps sequences use, and nothing else (no letters, spaces or controls).
 */
export function isEmoji(text: string): boolean {
  return (
    text.length > 0 &&
    text.length <= MAX_EMOJI_CHARS &&
    /[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]/u.test(text) &&
    /^[\p{Extended_Pictographic}\p{Emoji_Presentation}\p{Emoji_Modifier}\p{Regional_Indicator}\u200d\ufe0f\u20e3#*0-9]+$/u.test(text)
  );
}

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
      return isString(value.text, MAX_COMPOSER_CHARS) && (value.replyTo === undefined || isEntryId(value.replyTo));
    case 'react':
      return isEntryId(value.id) && isString(value.emoji, MAX_EMOJI_CHARS) && isEmoji(value.emoji) && isBoolean(value.on);
    case 'edit':
      return isEntryId(value.id) && isString(value.text, MAX_COMPOSER_CHARS);
    case 'delete':
      return isEntryId(value.id);
    case 'typing':
      return true;
    case 'viewed':
      return isBoolean(value.atBottom);
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
  return (
    isObject(value) &&
    isFiniteNumber(value.id) &&
    isString(value.name, 256) &&
    isBoolean(value.legacy) &&
    isBoolean(value.self) &&
    (value.presence === undefined || value.presence === 'active' || value.presence === 'away')
  );
}

function isNames(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= MAX_NAMES && value.every((name) => isString(name, 256));
}

function isReply(value: unknown): value is ReplyView {
  return (
    isObject(value) &&
    isEntryId(value.id) &&
    (value.from === undefined || isString(value.from, 256)) &&
    (value.excerpt === undefined || isString(value.excerpt, MAX_EXCERPT_CHARS))
  );
}

function isReaction(value: unknown): value is ReactionView {
  return isObject(value) && isString(value.emoji, MAX_EMOJI_CHARS) && isEmoji(value.emoji) && isNames(value.from) && value.from.length > 0;
}

function isExtras(value: Unknown): boolean {
  return (
    (value.mentions === undefined || isNames(value.mentions)) &&
    (value.replyTo === undefined || isReply(value.replyTo)) &&
    (value.reactions === undefined || (Array.isArray(value.reactions) && value.reactions.length <= MAX_NAMES && value.reactions.every(isReaction))) &&
    (value.editedAt === undefined || isFiniteNumber(value.editedAt)) &&
    (value.deleted === undefined || isBoolean(value.deleted))
  );
}

function isReadMark(value: unknown): value is ReadMarkView {
  return isObject(value) && isString(value.id, 40) && isFiniteNumber(value.at);
}

function isUnread(value: unknown): value is UnreadView {
  return (
    isObject(value) &&
    (value.since === undefined || isReadMark(value.since)) &&
    Number.isSafeInteger(value.count) &&
    (value.count as number) >= 0 &&
    Number.isSafeInteger(value.mentions) &&
    (value.mentions as number) >= 0
  );
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
        (value.delivery === undefined || isDelivery(value.delivery)) &&
        isExtras(value);
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
    isBoolean(value.hasOlder) &&
    isUnread(value.unread) &&
    isNames(value.typing)
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
    case 'unread':
      return isUnread(value.unread);
    case 'typing':
      return isNames(value.names);
    case 'startReply':
      return isEntryId(value.id);
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
