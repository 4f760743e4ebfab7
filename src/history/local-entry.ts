/**
 * A line of a room's conversation as the extension's local history keeps it: what the chat panel shows of it, plus
 * what the store needs to dedupe and resume (the sender's message id, the relay's sequence number). Images are
 * referenced by the path of their saved file, never kept as bytes. Types only: shared by the store, its worker
 * thread and the extension host.
 */
import type { SnippetMeta } from '../shared/snippet';

export type SystemTone = 'info' | 'warning' | 'error';

interface MessageFields {
  /** The entry's id as the panel shows it (unique in the room's history). */
  id: string;
  /** The id its sender gave the message; with `from`, the key that dedupes copies (live, backlog, catch-up). */
  messageId: string;
  from: string;
  own: boolean;
  /** The sender's clock, ms since the epoch. */
  sentAt: number;
  /** The relay's per-room sequence number, when the relay said it (backlog and live messages of a relay with history). */
  seq: number | undefined;
  legacy: boolean;
  encrypted: boolean;
  /** False for a message of yours the relay had not acknowledged when it was last written. */
  delivered: boolean;
  /** A reply: the message id it answers. */
  replyTo?: string;
  /** When its sender last edited it (their clock, ms since the epoch); absent when never edited. */
  editedAt?: number;
  /** Deleted by its sender: its text (or image) is gone from the store. */
  deleted?: boolean;
  /** Reactions on it, by emoji, with who reacted (as read; ignored when appended: see `react`). */
  reactions?: HistoryReaction[];
}

export interface HistoryReaction {
  emoji: string;
  /** Names of the members whose reaction is on, sorted. */
  from: string[];
}

export interface HistoryImage {
  /** The saved file that shows it; undefined once that file is gone. */
  file: string | undefined;
  width: number;
  height: number;
  bytes: number;
}

export type HistoryEntry =
  /** `snippet`: a code snippet, whose code is `text` (src/shared/snippet.ts). */
  | (MessageFields & { kind: 'text'; text: string; snippet?: SnippetMeta })
  | (MessageFields & { kind: 'image'; image: HistoryImage })
  | { kind: 'system'; id: string; text: string; at: number; tone: SystemTone };

/** A room's key in the local history: the relay as `formatHostPort` writes it, and the room ("host:port/room"). */
export function roomKey(relay: string, room: string): string {
  return `${relay}/${room}`;
}

/** The relay and room of a key made by `roomKey` (a room has no `/`; an IPv6 relay is bracketed). */
export function splitRoomKey(key: string): { relay: string; room: string } {
  const slash = key.lastIndexOf('/');
  return { relay: key.slice(0, slash), room: key.slice(slash + 1) };
}

/** When an entry was said (ms since the epoch): the order of the history. */
export function entryTime(entry: HistoryEntry): number {
  return entry.kind === 'system' ? entry.at : entry.sentAt;
}

/** A search match: the entry, a plain-text excerpt of it and the matched ranges in the excerpt (UTF-16 offsets). */
export interface HistoryHit {
  id: string;
  from: string;
  sentAt: number;
  excerpt: string;
  matches: Array<[number, number]>;
}

/** A page of entries, oldest first, and whether the store holds older (and newer) ones. */
export interface HistoryPage {
  entries: HistoryEntry[];
  hasOlder: boolean;
  hasNewer: boolean;
}

/** What the store knows of a room's place at its relay. */
export interface RoomMarks {
  /** The resume point (0: none): catch-up asks for what comes after it. Before the client said one, the highest held. */
  latestSeq: number;
  /** The lowest sequence number held (undefined: none): an older page is asked for before it. */
  oldestSeq: number | undefined;
  /** The relay said it has nothing older than `oldestSeq`. */
  relayStartReached: boolean;
  /** Entries held for the room. */
  count: number;
}

/** How much of each room the local history keeps: the oldest entries go first. */
export interface LocalRetention {
  maxEntries: number;
  /** Entries older than this go (ms). */
  maxAgeMs: number;
  /** Bytes of text and of referenced image files a room may hold (bytes). */
  maxBytes: number;
}
