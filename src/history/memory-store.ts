/**
 * The history in memory, with the semantics of the SQLite store (numbering, pages, retention), for tests of the
 * modules that use a HistoryStore. Bounded: past `maxBytes` in all (counted like retention counts), the oldest
 * messages go, so a long test run never grows without limit. Nothing survives `close()`.
 */
import {
  DEFAULT_RETENTION,
  PRUNE_BATCH_MESSAGES,
  nextSeq,
  storedBytes,
  type HistoryStore,
  type NewStoredMessage,
  type Retention,
  type RoomVerifier,
  type StoredMessage,
} from './store';

interface Room {
  latestSeq: number;
  bytes: number;
  /** Oldest first; seq strictly increasing. */
  messages: { message: StoredMessage; size: number }[];
  /** In force while `messages` is not empty; dropped with the last of them. */
  pin: { verifier: RoomVerifier } | undefined;
}

export interface MemoryHistoryOptions {
  /** All rooms together keep at most this (bytes, as `storedBytes` counts them). */
  maxBytes?: number;
}

export class MemoryHistoryStore implements HistoryStore {
  readonly #rooms = new Map<string, Room>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(options: MemoryHistoryOptions = {}) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_RETENTION.maxRoomBytes;
  }

  append(messages: readonly NewStoredMessage[]): StoredMessage[] {
    // All or nothing, as one transaction of the file store: every number is checked before anything is kept.
    const latest = new Map<string, number>();
    for (const message of messages) {
      latest.set(message.room, nextSeq(latest.get(message.room) ?? this.#rooms.get(message.room)?.latestSeq ?? 0, message.seq));
    }
    const stored = messages.map((message) => {
      let room = this.#rooms.get(message.room);
      if (room === undefined) {
        room = this.#newRoom(message.room);
      }
      room.latestSeq = nextSeq(room.latestSeq, message.seq);
      // Copies: the caller's buffers may be reused after append returns, as with the file store.
      const copy: StoredMessage = {
        ...message,
        seq: room.latestSeq,
        memberKey: message.memberKey?.slice(),
        payload: message.payload.slice(),
      };
      const size = storedBytes(message);
      room.messages.push({ message: copy, size });
      room.bytes += size;
      this.#bytes += size;
      return { ...copy };
    });
    while (this.#bytes > this.#maxBytes && this.#dropOldestAnywhere()) {
      // Each turn dropped one message.
    }
    return stored;
  }

  after(room: string, afterSeq: number, limit: number): StoredMessage[] {
    const messages = this.#rooms.get(room)?.messages ?? [];
    if (limit <= 0) return [];
    const start = firstIndexAbove(messages, afterSeq);
    return messages.slice(start, start + limit).map((entry) => ({ ...entry.message }));
  }

  before(room: string, beforeSeq: number, limit: number): StoredMessage[] {
    const messages = this.#rooms.get(room)?.messages ?? [];
    if (limit <= 0) return [];
    const end = firstIndexAbove(messages, beforeSeq - 1);
    return messages.slice(Math.max(0, end - limit), end).map((entry) => ({ ...entry.message }));
  }

  latestSeq(room: string): number {
    return this.#rooms.get(room)?.latestSeq ?? 0;
  }

  prune(nowMs: number, retention: Retention, maxMessages = PRUNE_BATCH_MESSAGES): number {
    const cutoff = nowMs - retention.maxAgeMs;
    let dropped = 0;
    // By age: the oldest by time across rooms, as the file store orders them.
    const expired = [...this.#rooms.values()]
      .flatMap((room) =>
        room.messages.filter((entry) => entry.message.storedAt < cutoff).map((entry) => ({ room, entry })),
      )
      .sort((a, b) => a.entry.message.storedAt - b.entry.message.storedAt)
      .slice(0, maxMessages);
    for (const { room, entry } of expired) {
      room.messages.splice(room.messages.indexOf(entry), 1);
      this.#forget(room, entry.size);
      dropped++;
    }
    // By size: each room's oldest by number until it fits.
    for (const room of this.#rooms.values()) {
      while (room.bytes > retention.maxRoomBytes && room.messages.length > 0 && dropped < maxMessages) {
        this.#forget(room, room.messages.shift()!.size);
        dropped++;
      }
    }
    return dropped;
  }

  roomVerifier(name: string): RoomVerifier | undefined {
    const room = this.#rooms.get(name);
    if (!room?.pin || room.messages.length === 0) return undefined;
    return room.pin.verifier?.slice() ?? null;
  }

  pinRoom(name: string, verifier: RoomVerifier): void {
    const room = this.#rooms.get(name) ?? this.#newRoom(name);
    room.pin = { verifier: verifier?.slice() ?? null };
  }

  close(): void {
    this.#rooms.clear();
    this.#bytes = 0;
  }

  #newRoom(name: string): Room {
    const room: Room = { latestSeq: 0, bytes: 0, messages: [], pin: undefined };
    this.#rooms.set(name, room);
    return room;
  }

  /** A message left `room`: its bytes are freed, and with its last message the room's pin goes too. */
  #forget(room: Room, size: number): void {
    room.bytes -= size;
    this.#bytes -= size;
    if (room.messages.length === 0) room.pin = undefined;
  }

  #dropOldestAnywhere(): boolean {
    let oldest: Room | undefined;
    for (const room of this.#rooms.values()) {
      const head = room.messages[0];
      if (head === undefined) continue;
      if (oldest === undefined || head.message.storedAt < oldest.messages[0]!.message.storedAt) oldest = room;
    }
    if (oldest === undefined) return false;
    this.#forget(oldest, oldest.messages.shift()!.size);
    return true;
  }
}

/** Index of the first message with seq > `seq` (binary search: seq increases along the array). */
function firstIndexAbove(messages: readonly { message: StoredMessage }[], seq: number): number {
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (messages[middle]!.message.seq > seq) high = middle;
    else low = middle + 1;
  }
  return low;
}
