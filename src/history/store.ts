/**
 * The relay's history: every room's messages, appended with a per-room sequence number and kept as the relay
 * received them (sealed bytes for encrypted rooms: the relay never holds plaintext, on the wire or on disk).
 * One small interface, so a server database can replace the embedded one. Synchronous on purpose: the relay
 * commits a batch before it sends the acknowledgements that make those messages "delivered".
 */

/** A message as the relay stores it. */
export interface StoredMessage {
  room: string;
  /** Per-room sequence number: 1, 2, 3, … in arrival order; never reused, also after retention dropped older ones. */
  seq: number;
  /** The wire message type (PacketType.Text, PacketType.Image, …). */
  type: number;
  /** The id the origin gave the message (unique per origin). */
  messageId: bigint;
  /** The sender's display name and, in sealed rooms, its member key (what the roster announced). */
  from: string;
  memberKey: Uint8Array | undefined;
  /** The relay's wall clock when it stored the message (ms since the epoch). */
  storedAt: number;
  /** The reassembled message payload exactly as received: sealed in encrypted rooms. */
  payload: Uint8Array;
}

/**
 * A message to append. `seq`, when given, is the number the relay already announced: it must be above the room's
 * latest (numbers may skip, never repeat); without it the store takes the next one.
 */
export type NewStoredMessage = Omit<StoredMessage, 'seq'> & { seq?: number };

/** A room's verifier: the public key its passphrase derives (a sealed room), or null (an open room). */
export type RoomVerifier = Uint8Array | null;

/** How long and how much each room keeps; the oldest messages go first. */
export interface Retention {
  /** Messages older than this are dropped (ms). */
  maxAgeMs: number;
  /** A room's stored bytes (`storedBytes` of each message) are kept at or under this (bytes). */
  maxRoomBytes: number;
}

/** What retention does when nothing else is configured: a month, and 64 MiB per room. */
export const DEFAULT_RETENTION: Retention = { maxAgeMs: 30 * 24 * 60 * 60 * 1000, maxRoomBytes: 64 * 1024 * 1024 };

/**
 * Rows cost more than their payload: without this, a flood of one-byte messages would fill the disk while the room
 * stayed "under" its byte limit (bytes per message: seq, type, id, time, keys and the store's own overhead).
 */
export const MESSAGE_OVERHEAD_BYTES = 64;

/** `prune` drops at most this many messages per call unless told otherwise: ~50 ms of work in the wasm store. */
export const PRUNE_BATCH_MESSAGES = 5_000;

/** The bytes a message counts against its room's `maxRoomBytes`. */
export function storedBytes(message: NewStoredMessage): number {
  return (
    message.payload.byteLength +
    Buffer.byteLength(message.from, 'utf8') +
    (message.memberKey?.byteLength ?? 0) +
    MESSAGE_OVERHEAD_BYTES
  );
}

export interface HistoryStore {
  /** Appends in one transaction; when it returns, the messages are durable. Returns them with their numbers. */
  append(messages: readonly NewStoredMessage[]): StoredMessage[];
  /** Up to `limit` messages with seq > afterSeq, oldest first. */
  after(room: string, afterSeq: number, limit: number): StoredMessage[];
  /** Up to `limit` messages with seq < beforeSeq, the newest of them, returned oldest first. */
  before(room: string, beforeSeq: number, limit: number): StoredMessage[];
  /** The highest seq the room has had (0: none yet), also when retention dropped it. */
  latestSeq(room: string): number;
  /**
   * Drops what retention no longer keeps (all rooms), oldest first, at most `maxMessages` of them so that one call
   * never blocks for long; returns how many went (equal to `maxMessages`: call again, there may be more).
   */
  prune(nowMs: number, retention: Retention, maxMessages?: number): number;
  /**
   * The verifier the room's stored messages were written under: the key its passphrase derives (sealed), null
   * (open), or undefined (no pin in force: the room has no stored messages, or none since it was pinned).
   */
  roomVerifier(room: string): RoomVerifier | undefined;
  /**
   * Pins the room's verifier, durable when this returns. It is in force while the room has stored messages, and
   * goes when retention drops the room's last message; a pin written before any message waits for the first.
   */
  pinRoom(room: string, verifier: RoomVerifier): void;
  close(): void;
}

/** The number a message is stored under: the one it was announced with (above `latest`), or the next one. */
export function nextSeq(latest: number, announced: number | undefined): number {
  if (announced === undefined) return latest + 1;
  if (!Number.isSafeInteger(announced) || announced <= latest) throw new Error(`message number ${announced} is not above the room's latest (${latest})`);
  return announced;
}
