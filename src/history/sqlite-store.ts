/**
 * The relay's history in one SQLite file (see docs/history.md for the schema and its guarantees). Appends of a
 * batch commit as one transaction (group commit: one fsync of the write-ahead log for the whole batch), so the
 * relay can acknowledge every message of the batch the moment `append` returns.
 */
import { openDatabase, type Database, type Migration, type Row, type Statement } from './sqlite';
import {
  PRUNE_BATCH_MESSAGES,
  nextSeq,
  storedBytes,
  type HistoryStore,
  type NewStoredMessage,
  type Retention,
  type RoomVerifier,
  type StoredMessage,
} from './store';

/** 'UDPH' in `PRAGMA application_id`: the file is a udp-chat relay history. */
export const RELAY_HISTORY_APPLICATION_ID = 0x55445048;

/**
 * Version 1. `rooms` outlives its messages: `latest_seq` is where numbering resumes, so a number is never
 * given twice even when retention emptied the room; `bytes` is the sum of the rows' `size`, so retention by size
 * needs no scan. `message_id` is the origin's 64-bit id as 8 bytes, big-endian (SQLite integers are signed).
 */
export const RELAY_HISTORY_MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE rooms (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     latest_seq INTEGER NOT NULL DEFAULT 0,
     bytes INTEGER NOT NULL DEFAULT 0
   ) STRICT;
   CREATE TABLE messages (
     room_id INTEGER NOT NULL REFERENCES rooms(id),
     seq INTEGER NOT NULL,
     type INTEGER NOT NULL,
     message_id BLOB NOT NULL,
     sender TEXT NOT NULL,
     member_key BLOB,
     stored_at INTEGER NOT NULL,
     size INTEGER NOT NULL,
     payload BLOB NOT NULL,
     PRIMARY KEY (room_id, seq)
   ) STRICT;
   CREATE INDEX messages_by_age ON messages (stored_at);`,
  // Version 2: the room's pinned verifier, kept while it has messages (`verifier` NULL with `pinned` 1: open).
  // Rooms of a version-1 file start unpinned: their verifier was never written down.
  `ALTER TABLE rooms ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1));
   ALTER TABLE rooms ADD COLUMN verifier BLOB;`,
];

/** Opens (or creates) the relay history at `file`; throws a DatabaseError with a clear reason if it cannot. */
export function openSqliteHistoryStore(file: string): SqliteHistoryStore {
  const db = openDatabase(file, { migrations: RELAY_HISTORY_MIGRATIONS, applicationId: RELAY_HISTORY_APPLICATION_ID });
  try {
    return new SqliteHistoryStore(db);
  } catch (error) {
    // Release the file, or this process would find it "in use" by itself on the next try.
    db.close();
    throw error;
  }
}

interface RoomState {
  id: number;
  latestSeq: number;
  bytes: number;
  /** The pin as written; in force only while `bytes` > 0 (the room has messages). */
  pin: { verifier: RoomVerifier } | undefined;
}

const COLUMNS = 'seq, type, message_id, sender, member_key, stored_at, payload';

export class SqliteHistoryStore implements HistoryStore {
  readonly #db: Database;
  /** Rooms as committed; a failed transaction drops the cache, which is re-read from the file. */
  #rooms = new Map<string, RoomState>();
  readonly #insert: Statement;
  readonly #after: Statement;
  readonly #before: Statement;
  readonly #oldestCovering: Statement;
  readonly #expired: Statement;
  readonly #delete: Statement;

  constructor(db: Database) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO messages (room_id, seq, type, message_id, sender, member_key, stored_at, size, payload)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#after = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`);
    this.#before = db.prepare(
      `SELECT * FROM (SELECT ${COLUMNS} FROM messages WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?)
       ORDER BY seq`,
    );
    this.#oldestCovering = db.prepare(
      `SELECT max(seq) AS last, count(*) AS n, coalesce(sum(size), 0) AS freed FROM (
         SELECT seq, size, sum(size) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) - size AS before_it
         FROM (SELECT seq, size FROM messages WHERE room_id = ? ORDER BY seq LIMIT ?))
       WHERE before_it < ?`,
    );
    this.#expired = db.prepare(
      'SELECT room_id, seq, size FROM messages WHERE stored_at < ? ORDER BY stored_at, room_id, seq LIMIT ?',
    );
    this.#delete = db.prepare('DELETE FROM messages WHERE room_id = ? AND seq = ?');
  }

  get database(): Database {
    return this.#db;
  }

  append(messages: readonly NewStoredMessage[]): StoredMessage[] {
    if (messages.length === 0) return [];
    const staged = new Map<string, RoomState>();
    try {
      return this.#db.transaction(() => {
        const stored = messages.map((message) => {
          let room = staged.get(message.room);
          if (room === undefined) {
            room = { ...this.#room(message.room, true)! };
            staged.set(message.room, room);
          }
          const seq = nextSeq(room.latestSeq, message.seq);
          const size = storedBytes(message);
          this.#insert.run([
            room.id,
            seq,
            message.type,
            messageIdBytes(message.messageId),
            message.from,
            message.memberKey ?? null,
            message.storedAt,
            size,
            message.payload,
          ]);
          room.latestSeq = seq;
          room.bytes += size;
          return { ...message, seq } as StoredMessage;
        });
        for (const room of staged.values()) {
          const values = [room.latestSeq, room.bytes, room.id];
          this.#db.run('UPDATE rooms SET latest_seq = ?, bytes = ? WHERE id = ?', values);
        }
        return stored;
      });
    } catch (error) {
      this.#rooms.clear();
      throw error;
    } finally {
      // Committed (or the cache was cleared): the staged numbers are now the rooms' numbers.
      for (const [name, room] of staged) if (this.#rooms.has(name)) this.#rooms.set(name, room);
    }
  }

  after(room: string, afterSeq: number, limit: number): StoredMessage[] {
    const state = this.#room(room, false);
    if (state === undefined || limit <= 0) return [];
    return this.#after.all([state.id, afterSeq, limit]).map((row) => toMessage(room, row));
  }

  before(room: string, beforeSeq: number, limit: number): StoredMessage[] {
    const state = this.#room(room, false);
    if (state === undefined || limit <= 0) return [];
    return this.#before.all([state.id, beforeSeq, limit]).map((row) => toMessage(room, row));
  }

  latestSeq(room: string): number {
    return this.#room(room, false)?.latestSeq ?? 0;
  }

  prune(nowMs: number, retention: Retention, maxMessages = PRUNE_BATCH_MESSAGES): number {
    try {
      return this.#db.transaction(() => {
        let dropped = this.#pruneByAge(nowMs - retention.maxAgeMs, maxMessages);
        const over = this.#db.all('SELECT name FROM rooms WHERE bytes > ? ORDER BY id', [retention.maxRoomBytes]);
        for (const row of over) {
          if (dropped >= maxMessages) break;
          dropped += this.#pruneBySize(String(row['name']), retention.maxRoomBytes, maxMessages - dropped);
        }
        // A pin guards the room's stored messages: it goes with the last of them.
        if (dropped > 0) {
          this.#db.run(
            `UPDATE rooms SET pinned = 0, verifier = NULL
             WHERE pinned = 1 AND NOT EXISTS (SELECT 1 FROM messages WHERE room_id = rooms.id)`,
          );
        }
        return dropped;
      });
    } finally {
      // Byte counts changed inside SQL: re-read them on next use rather than mirror the arithmetic here.
      this.#rooms.clear();
    }
  }

  roomVerifier(room: string): RoomVerifier | undefined {
    const state = this.#room(room, false);
    if (state?.pin === undefined || state.bytes <= 0) return undefined;
    return state.pin.verifier?.slice() ?? null;
  }

  pinRoom(room: string, verifier: RoomVerifier): void {
    let pinned: RoomState | undefined;
    try {
      this.#db.transaction(() => {
        pinned = { ...this.#room(room, true)!, pin: { verifier: verifier?.slice() ?? null } };
        this.#db.run('UPDATE rooms SET pinned = 1, verifier = ? WHERE id = ?', [verifier, pinned.id]);
      });
    } catch (error) {
      this.#rooms.clear();
      throw error;
    }
    if (pinned) this.#rooms.set(room, pinned);
  }

  close(): void {
    this.#db.close();
  }

  #pruneByAge(cutoffMs: number, maxMessages: number): number {
    if (maxMessages <= 0) return 0;
    const victims = this.#expired.all([cutoffMs, maxMessages]);
    const freed = new Map<number, number>();
    for (const row of victims) {
      const roomId = Number(row['room_id']);
      this.#delete.run([roomId, row['seq']!]);
      freed.set(roomId, (freed.get(roomId) ?? 0) + Number(row['size']));
    }
    for (const [roomId, bytes] of freed) {
      this.#db.run('UPDATE rooms SET bytes = bytes - ? WHERE id = ?', [bytes, roomId]);
    }
    return victims.length;
  }

  #pruneBySize(name: string, maxRoomBytes: number, maxMessages: number): number {
    const room = this.#room(name, false);
    if (room === undefined) return 0;
    const excess = room.bytes - maxRoomBytes;
    if (excess <= 0 || maxMessages <= 0) return 0;
    // The oldest rows until their sizes cover the excess: a row is needed while the sum before it falls short.
    const cut = this.#oldestCovering.get([room.id, maxMessages, excess]);
    const count = Number(cut?.['n'] ?? 0);
    if (count === 0) return 0;
    this.#db.run('DELETE FROM messages WHERE room_id = ? AND seq <= ?', [room.id, cut!['last']!]);
    this.#db.run('UPDATE rooms SET bytes = bytes - ? WHERE id = ?', [cut!['freed']!, room.id]);
    return count;
  }

  /** The room's committed state; with `create`, a new room row (inside the caller's transaction). */
  #room(name: string, create: boolean): RoomState | undefined {
    const cached = this.#rooms.get(name);
    if (cached !== undefined) return cached;
    let row = this.#db.get('SELECT id, latest_seq, bytes, pinned, verifier FROM rooms WHERE name = ?', [name]);
    if (row === undefined) {
      if (!create) return undefined;
      const id = Number(this.#db.run('INSERT INTO rooms (name) VALUES (?)', [name]).lastInsertRowid);
      row = { id, latest_seq: 0, bytes: 0, pinned: 0, verifier: null };
    }
    const verifier = row['verifier'];
    const state: RoomState = {
      id: Number(row['id']),
      latestSeq: Number(row['latest_seq']),
      bytes: Number(row['bytes']),
      pin: Number(row['pinned']) === 1 ? { verifier: verifier instanceof Uint8Array ? verifier : null } : undefined,
    };
    this.#rooms.set(name, state);
    return state;
  }
}

function toMessage(room: string, row: Row): StoredMessage {
  const memberKey = row['member_key'];
  return {
    room,
    seq: Number(row['seq']),
    type: Number(row['type']),
    messageId: messageIdFromBytes(row['message_id'] as Uint8Array),
    from: String(row['sender']),
    memberKey: memberKey instanceof Uint8Array ? memberKey : undefined,
    storedAt: Number(row['stored_at']),
    payload: row['payload'] as Uint8Array,
  };
}

function messageIdBytes(id: bigint): Uint8Array {
  // From Node's buffer pool: SQLite copies the bytes when it binds them.
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeBigUInt64BE(BigInt.asUintN(64, id));
  return bytes;
}

function messageIdFromBytes(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0);
}
