/**
 * Guards of what the chat panel shows (src/shared/panel-views.ts) and of the small values its messages carry: each
 * checks shape, type and size, so a message that crosses between the extension host and the webview is what its
 * type says before either side reads it. Compiled into both sides; imports nothing node-, DOM- or vscode-specific.
 */
import { snippetProblem, type SnippetMeta } from './snippet';
import type {
  MemberView,
  ReplyView,
  ReactionView,
  ReadMarkView,
  UnreadView,
  ImageView,
  DeliveryView,
  EntryView,
  TransferView,
  StatsView,
  ChatStateView,
  SearchHitView,
} from './panel-views';
export type Unknown = Record<string, unknown>;

export function isObject(value: unknown): value is Unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isString(value: unknown, maxLength = 1 << 20): value is string {
  return typeof value === 'string' && value.length <= maxLength;
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

export const CONNECTION_STATES: readonly string[] = ['disconnected', 'connecting', 'connected', 'reconnecting', 'closed'];
const DELIVERY_STATES: readonly string[] = ['queued', 'sending', 'delivered', 'failed'];
/** Message ids are 16 hex digits; system entries use short words and digits. */
export const ID_PATTERN = /^[0-9a-z-]{1,40}$/i;
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

export function isRequestId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

export function isEntryId(value: unknown): value is string {
  return isString(value, 40) && ID_PATTERN.test(value);
}

export function isPageSize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_PAGE_ENTRIES;
}

export function isDelivery(value: unknown): value is DeliveryView {
  return (
    isObject(value) &&
    isString(value.state) &&
    DELIVERY_STATES.includes(value.state) &&
    isFiniteNumber(value.progress) &&
    (value.reason === undefined || isString(value.reason, 2000)) &&
    (value.discarded === undefined || isBoolean(value.discarded))
  );
}

export function isMember(value: unknown): value is MemberView {
  return (
    isObject(value) &&
    isFiniteNumber(value.id) &&
    isString(value.name, 256) &&
    isBoolean(value.legacy) &&
    isBoolean(value.self) &&
    (value.presence === undefined || value.presence === 'active' || value.presence === 'away')
  );
}

export function isNames(value: unknown): value is string[] {
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

function isSnippet(value: unknown): value is SnippetMeta {
  if (!isObject(value) || !isString(value.path, 1024) || !isString(value.language, 64)) return false;
  if (!Number.isSafeInteger(value.startLine) || !Number.isSafeInteger(value.endLine)) return false;
  const repo = value.repo;
  if (repo !== undefined) {
    if (!isObject(repo)) return false;
    if ((repo.remote !== undefined && !isString(repo.remote, 512)) || (repo.branch !== undefined && !isString(repo.branch, 255)) || (repo.commit !== undefined && !isString(repo.commit, 64))) return false;
  }
  const meta: SnippetMeta = {
    path: value.path,
    startLine: value.startLine as number,
    endLine: value.endLine as number,
    language: value.language,
    repo: repo as SnippetMeta['repo'],
  };
  return snippetProblem(meta) === undefined;
}

function isReadMark(value: unknown): value is ReadMarkView {
  return isObject(value) && isString(value.id, 40) && isFiniteNumber(value.at);
}

export function isUnread(value: unknown): value is UnreadView {
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
      return common && (value.kind === 'text' ? isString(value.text) && (value.snippet === undefined || isSnippet(value.snippet)) : isImage(value.image));
    }
    default:
      return false;
  }
}

export function isTransfer(value: unknown): value is TransferView {
  return (
    isObject(value) &&
    isString(value.id, 64) &&
    (value.direction === 'outgoing' || value.direction === 'incoming') &&
    isString(value.label, 1000) &&
    (value.progress === undefined || isFiniteNumber(value.progress))
  );
}

export function isStats(value: unknown): value is StatsView {
  return (
    isObject(value) &&
    (value.rttMs === undefined || isFiniteNumber(value.rttMs)) &&
    isFiniteNumber(value.lossPercent) &&
    isFiniteNumber(value.retransmitted) &&
    isFiniteNumber(value.sent)
  );
}

export function isArrayOf<T>(value: unknown, guard: (item: unknown) => item is T): value is T[] {
  return Array.isArray(value) && value.every(guard);
}

export function isChatState(value: unknown): value is ChatStateView {
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

export function isSearchHit(value: unknown): value is SearchHitView {
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
