/**
 * What the chat panel shows, as the extension host describes it to the webview: members, entries (messages with
 * their replies, reactions and edits, system lines), transfers, unread counts. Types only; the messages that carry
 * them and their guards are panel-messages.ts.
 */
import type { SnippetMeta } from './snippet';
import type { ConnectionState, DeliveryState } from './states';

export interface MemberView {
  id: number;
  name: string;
  legacy: boolean;
  self: boolean;
  /** Active (window focused, recently used) or away, as the member's client last said; undefined: not said. */
  presence?: PresenceState;
}

export type PresenceState = 'active' | 'away';

/** The message a reply answers: its id, and who said what when the host holds it (undefined: not loaded). */
export interface ReplyView {
  id: string;
  from?: string;
  /** The start of the original's text (or "an image"), plain text, at most MAX_EXCERPT_CHARS. */
  excerpt?: string;
}

/** One emoji on a message and who put it there, in the order they did. */
export interface ReactionView {
  emoji: string;
  from: string[];
}

/** Where the conversation was read up to when the reader came back: the "New" divider goes after it. */
export interface ReadMarkView {
  id: string;
  at: number;
}

/** Unread messages of the room shown, and the mark the "New" divider stands at (undefined: none). */
export interface UnreadView {
  since: ReadMarkView | undefined;
  count: number;
  mentions: number;
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

/** What replies, reactions, edits and deletes add to a message; every field optional (a plain message has none). */
export interface MessageExtras {
  /** Members the message mentions (`@name`), as its sender's client said or as the host found them in the text. */
  mentions?: string[];
  replyTo?: ReplyView;
  reactions?: ReactionView[];
  /** Its sender changed the text (the text shown is the latest); when, by the sender's clock (ms). */
  editedAt?: number;
  /** Its sender deleted it: the text (or image) is gone, the row says so. */
  deleted?: boolean;
}

/** One line of the conversation. */
export type EntryView =
  | ({
      kind: 'text';
      id: string;
      from: string;
      own: boolean;
      text: string;
      /** A code snippet: `text` is its code and this says where it came from (src/shared/snippet.ts). */
      snippet?: SnippetMeta;
      sentAt: number;
      legacy: boolean;
      encrypted: boolean;
      delivery?: DeliveryView;
    } & MessageExtras)
  | ({
      kind: 'image';
      id: string;
      from: string;
      own: boolean;
      image: ImageView;
      sentAt: number;
      legacy: boolean;
      encrypted: boolean;
      delivery?: DeliveryView;
    } & MessageExtras)
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
  unread: UnreadView;
  /** Members typing now (not you). */
  typing: string[];
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
