/**
 * The typed protocol between the extension host and the chat panel's webview. Compiled into both sides: it
 * imports nothing node-, DOM- or vscode-specific. Every message that crosses is checked by the guard of the side
 * that receives it; a message that fails the guard is dropped and logged.
 */

import { isAttachmentRequest, isAttachmentId, isAttachmentView, type AttachmentNotice, type AttachmentRequest } from './attachment-messages';
import {
  CONNECTION_STATES,
  ID_PATTERN,
  MAX_COMPOSER_CHARS,
  MAX_EMOJI_CHARS,
  MAX_LINK_CHARS,
  MAX_QUERY_CHARS,
  isArrayOf,
  isBoolean,
  isChatState,
  isDelivery,
  isEmoji,
  isEntry,
  isEntryId,
  isMember,
  isNames,
  isObject,
  isPageSize,
  isRequestId,
  isSearchHit,
  isStats,
  isString,
  isTransfer,
  isUnread,
  isWebLink,
} from './panel-view-guards';

export { MAX_COMPOSER_CHARS, MAX_EMOJI_CHARS, MAX_EXCERPT_CHARS, MAX_LINK_CHARS, MAX_PAGE_ENTRIES, MAX_QUERY_CHARS, isEmoji, isEntry, isWebLink } from './panel-view-guards';
import type { ConnectionState, DeliveryState } from './states';

export type { ConnectionState, DeliveryState } from './states';

export type * from './panel-views';
export type { AttachmentView } from './attachment-messages';
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
  | { type: 'startReply'; id: string }
  /** A pasted or dropped image's preview (new or changed), or that it is gone (sent or cancelled). */
  | AttachmentNotice;

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
  /**
   * Opens a snippet's lines: the file at that range when its path exists in one of the workspace folders (a diff
   * against the snippet when the text there differs), else the snippet in an untitled editor of its language.
   */
  | { type: 'openSnippet'; id: string }
  /** Copies a snippet's code to the clipboard. */
  | { type: 'copySnippet'; id: string }
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
  | { type: 'latest' }
  /** Images pasted into the composer or dropped onto the chat, and their previews' Send and Cancel. */
  | AttachmentRequest;

// ---- guards ---------------------------------------------------------------------------------------------------

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
    case 'openSnippet':
    case 'copySnippet':
      return isString(value.id, 40) && ID_PATTERN.test(value.id);
    case 'openLink':
      return isString(value.url, MAX_LINK_CHARS) && isWebLink(value.url);
    case 'attachImage':
    case 'attachUris':
    case 'sendAttachment':
    case 'cancelAttachment':
      return isAttachmentRequest(value);
    default:
      return assertNeverType(type);
  }
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
    case 'attachment':
      return isAttachmentView(value.attachment);
    case 'attachmentGone':
      return isAttachmentId(value.id);
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
