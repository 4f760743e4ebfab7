/**
 * The extension's local history: every room's conversation in one SQLite file (src/history/sqlite.ts), with a
 * full-text index (FTS5, `unicode61 remove_diacritics 2`) over what was said. Synchronous and free of vscode: it
 * runs inside the history worker thread (local-worker.ts), never on the extension host's thread. Time is an
 * argument; the only outside world it touches is `fileExists`, to say which referenced image files are gone.
 */
import { LocalChanges } from './local-changes';
import { LOCAL_HISTORY_APPLICATION_ID, LOCAL_HISTORY_MIGRATIONS } from './local-schema';
import { snippetColumn, snippetFromColumn } from './local-snippet';
import { openDatabase, type Database, type Row, type Statement } from './sqlite';
import { excerptOf, foldForSearch, ftsQuery, MARK_CLOSE, MARK_OPEN } from './search-text';
import { entryTime, type HistoryEntry, type HistoryHit, type HistoryPage, type LocalRetention, type RoomMarks } from './local-entry';

/** Most entries one page, window or search may return: bounds every answer that crosses to the host. */
export const MAX_PAGE = 500;
/** Per entry beyond its text in the retention's byte count (the row, its index entries), bytes. */
const ROW_OVERHEAD_BYTES = 100;

export interface LocalStoreOptions {
  /** Whether a referenced image file still exists (the save quota may have deleted it). */
  fileExists: (file: string) => boolean;
}

/** Opens (creating or migrating) the local history at `file`. Throws DatabaseError (in use, newer schema, …). */
export function openLocalHistory(file: string, options: LocalStoreOptions): LocalHistoryStore {
  const db = openDatabase(file, { migrations: LOCAL_HISTORY_MIGRATIONS, applicationId: LOCAL_HISTORY_APPLICATION_ID });
  return new LocalHistoryStore(db, options);
}

/** What `append` did with each entry. */
export type AppendResult = { id: string; added: true } | { id: string; added: false };

export class LocalHistoryStore {
  readonly #db: Database;
  readonly #options: LocalStoreOptions;
  readonly #roomIds = new Map<string, number>();
  readonly #byMessage: Statement;
  readonly #byEntryId: Statement;
  readonly #bySeq: Statement;
  readonly #insert: Statement;
  readonly #changes: LocalChanges;

  constructor(db: Database, options: LocalStoreOptions) {
    this.#db = db;
    this.#options = options;
    this.#changes = new LocalChanges(db);
    this.#byMessage = db.prepare('SELECT n, seq FROM entries WHERE room = ? AND sender = ? AND message_id = ?');
    this.#byEntryId = db.prepare('SELECT n, sender, message_id FROM entries WHERE room = ? AND entry_id = ?');
    this.#bySeq = db.prepare('SELECT n FROM entries WHERE room = ? AND seq = ?');
    this.#insert = db.prepare(
      `INSERT INTO entries (room, entry_id, kind, sender, message_id, own, body, folded, tone, image_file, image_width,
         image_height, image_bytes, sent_at, seq, legacy, encrypted, delivered, bytes, reply_to, edited_at, deleted, snippet)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /**
   * Adds entries to a room in one transaction. A message already held (same sender and message id, or same relay
   * sequence number) is not added again; when the copy brings the sequence number the held one lacked, it is kept.
   * An entry whose id another sender's message holds is added under a derived id (returned).
   */
  append(key: string, entries: readonly HistoryEntry[]): AppendResult[] {
    return this.#db.transaction(() => {
      const room = this.#room(key, true)!;
      return entries.map((entry) => this.#appendOne(room, entry));
    });
  }

  /** Marks a message of yours delivered, or points an image at its saved file (undefined: gone). */
  update(key: string, id: string, change: { delivered?: boolean; imageFile?: string | null }): boolean {
    const room = this.#room(key, false);
    if (room === undefined) return false;
    let changes = 0;
    if (change.delivered !== undefined) {
      changes += this.#db.run('UPDATE entries SET delivered = ? WHERE room = ? AND entry_id = ?', [change.delivered ? 1 : 0, room, id]).changes;
    }
    if (change.imageFile !== undefined) {
      changes += this.#db.run("UPDATE entries SET image_file = ? WHERE room = ? AND entry_id = ? AND kind = 'image'", [change.imageFile, room, id]).changes;
    }
    return changes > 0;
  }

  /** `from`'s edit of their message `messageId` (the chat client checked the sender); false when not held. */
  edit(key: string, change: { from: string; messageId: string; text: string; editedAt: number }): boolean {
    const room = this.#room(key, false);
    return room !== undefined && this.#changes.edit(room, change);
  }

  /** `from`'s delete of their message `messageId`: kept as deleted, without its text; false when not held. */
  remove(key: string, change: { from: string; messageId: string }): boolean {
    const room = this.#room(key, false);
    return room !== undefined && this.#changes.remove(room, change);
  }

  /** `from`'s reaction `emoji` on message `messageId`, on or off (read back with the entries). */
  react(key: string, change: { messageId: string; from: string; emoji: string; on: boolean }): void {
    this.#changes.react(this.#room(key, true)!, change);
  }

  /** The newest `limit` entries, oldest first. */
  latest(key: string, limit: number): HistoryPage {
    const room = this.#room(key, false);
    if (room === undefined) return { entries: [], hasOlder: false, hasNewer: false };
    const rows = this.#db.all('SELECT * FROM entries WHERE room = ? ORDER BY sent_at DESC, entry_id DESC LIMIT ?', [room, clampPage(limit) + 1]);
    return this.#olderPage(room, rows, clampPage(limit));
  }

  /**
   * Up to `limit` entries before entry `id`, oldest first. When the store does not hold `id` (a line it does not
   * keep), `at` (its time) places it.
   */
  before(key: string, id: string, limit: number, at?: number): HistoryPage {
    const room = this.#room(key, false);
    const cursor = room === undefined ? undefined : (this.#cursor(room, id) ?? (at === undefined ? undefined : { sentAt: at, id }));
    if (room === undefined || cursor === undefined) return { entries: [], hasOlder: false, hasNewer: false };
    const rows = this.#db.all(
      `SELECT * FROM entries WHERE room = ? AND (sent_at < ? OR (sent_at = ? AND entry_id < ?))
       ORDER BY sent_at DESC, entry_id DESC LIMIT ?`,
      [room, cursor.sentAt, cursor.sentAt, cursor.id, clampPage(limit) + 1],
    );
    return { ...this.#olderPage(room, rows, clampPage(limit)), hasNewer: true };
  }

  /** Entry `id` with up to `before` entries before it and `after` after it, oldest first; undefined: not held. */
  around(key: string, id: string, before: number, after: number): HistoryPage | undefined {
    const room = this.#room(key, false);
    const cursor = room === undefined ? undefined : this.#cursor(room, id);
    if (room === undefined || cursor === undefined) return undefined;
    const older = this.before(key, id, Math.max(1, before));
    const newer = this.#db.all(
      `SELECT * FROM entries WHERE room = ? AND (sent_at > ? OR (sent_at = ? AND entry_id >= ?))
       ORDER BY sent_at, entry_id LIMIT ?`,
      [room, cursor.sentAt, cursor.sentAt, cursor.id, clampPage(after) + 2],
    );
    const hasNewer = newer.length > clampPage(after) + 1;
    const entries = [...(before > 0 ? older.entries : []), ...this.#toEntries(room, newer.slice(0, clampPage(after) + 1))];
    return { entries, hasOlder: before > 0 ? older.hasOlder : older.entries.length > 0, hasNewer };
  }

  /**
   * The texts of the room that match every word of `query` (the last one as a prefix): the `limit` stored last
   * (the index's own order, so a common word in 100,000 texts costs no sort of them all), newest first.
   */
  search(key: string, query: string, limit: number): HistoryHit[] {
    const room = this.#room(key, false);
    const match = ftsQuery(query);
    if (room === undefined || match === undefined) return [];
    const rows = this.#db.all(
      `SELECT e.entry_id AS id, e.sender AS sender, e.sent_at AS sent_at, e.body AS body, e.folded AS folded,
         highlight(entries_fts, 0, '${MARK_OPEN}', '${MARK_CLOSE}') AS marked
       FROM entries_fts JOIN entries e ON e.n = entries_fts.rowid
       WHERE entries_fts MATCH ? AND e.room = ?
       ORDER BY entries_fts.rowid DESC LIMIT ?`,
      [match, room, clampPage(limit)],
    );
    const hits = rows.map((row) => ({
      id: String(row['id']),
      from: String(row['sender']),
      sentAt: Number(row['sent_at']),
      ...excerptOf(String(row['body']), String(row['folded']), String(row['marked'])),
    }));
    return hits.sort((a, b) => b.sentAt - a.sentAt || (a.id < b.id ? 1 : -1));
  }

  /** Where the room stands at its relay: what catch-up and older pages ask for. */
  marks(key: string): RoomMarks {
    const room = this.#room(key, false);
    if (room === undefined) return { latestSeq: 0, oldestSeq: undefined, relayStartReached: false, count: 0 };
    const row = this.#db.get(
      `SELECT r.latest_seq AS latest, r.relay_start_reached AS start,
         (SELECT MAX(seq) FROM entries WHERE room = r.id) AS max_seq,
         (SELECT MIN(seq) FROM entries WHERE room = r.id) AS min_seq,
         (SELECT COUNT(*) FROM entries WHERE room = r.id) AS count
       FROM rooms r WHERE r.id = ?`,
      [room],
    )!;
    // The resume point the client reported; before there is one, the highest number held is the best guess.
    const covered = Number(row['latest'] ?? 0);
    return {
      latestSeq: covered > 0 ? covered : Number(row['max_seq'] ?? 0),
      oldestSeq: row['min_seq'] === null ? undefined : Number(row['min_seq']),
      relayStartReached: Number(row['start']) === 1,
      count: Number(row['count']),
    };
  }

  /**
   * Notes where the room stands at the relay: the client's resume point (every message numbered up to it has
   * arrived), or that the relay holds nothing older than what is here.
   */
  noteRelay(key: string, note: { latestSeq?: number; startReached?: boolean }): void {
    const room = this.#room(key, true)!;
    if (note.latestSeq !== undefined) this.#db.run('UPDATE rooms SET latest_seq = ? WHERE id = ?', [note.latestSeq, room]);
    if (note.startReached !== undefined) this.#db.run('UPDATE rooms SET relay_start_reached = ? WHERE id = ?', [note.startReached ? 1 : 0, room]);
  }

  /** The keys (`from`, newline, message id) of the newest `limit` messages: what a session dedupes against. */
  messageKeys(key: string, limit: number): string[] {
    const room = this.#room(key, false);
    if (room === undefined) return [];
    const rows = this.#db.all("SELECT sender, message_id FROM entries WHERE room = ? AND kind != 'system' ORDER BY n DESC LIMIT ?", [room, limit]);
    return rows.map((row) => messageKey(String(row['sender']), String(row['message_id'])));
  }

  /** Remembers that the room was opened at `now` (ms): the room shown first next time. */
  touch(key: string, now: number): void {
    const room = this.#room(key, true)!;
    this.#db.run('UPDATE rooms SET opened_at = ? WHERE id = ?', [now, room]);
  }

  /** The room opened last, if any. */
  lastRoom(): string | undefined {
    const row = this.#db.get('SELECT key FROM rooms WHERE opened_at > 0 ORDER BY opened_at DESC LIMIT 1');
    return row === undefined ? undefined : String(row['key']);
  }

  /**
   * Forgets a room's entries (its place at the relay stays, so catch-up does not fetch them again). Returns the
   * image files its entries referenced that no other room's entries reference: the caller decides which to delete.
   */
  clear(key: string): { removed: number; files: string[] } {
    const room = this.#room(key, false);
    if (room === undefined) return { removed: 0, files: [] };
    return this.#db.transaction(() => {
      const files = this.#db
        .all(
          `SELECT DISTINCT image_file FROM entries WHERE room = ? AND image_file IS NOT NULL
           AND image_file NOT IN (SELECT image_file FROM entries WHERE room != ? AND image_file IS NOT NULL)`,
          [room, room],
        )
        .map((row) => String(row['image_file']));
      const removed = this.#db.run('DELETE FROM entries WHERE room = ?', [room]).changes;
      this.#changes.forgetOrphans(room);
      this.#db.run('UPDATE rooms SET relay_start_reached = 0 WHERE id = ?', [room]);
      return { removed, files };
    });
  }

  /** Drops what `retention` no longer keeps in one room, oldest first; returns how many entries went. */
  prune(key: string, now: number, retention: LocalRetention): number {
    const room = this.#room(key, false);
    if (room === undefined) return 0;
    return this.#db.transaction(() => {
      let removed = this.#db.run('DELETE FROM entries WHERE room = ? AND sent_at < ?', [room, now - retention.maxAgeMs]).changes;
      removed += this.#db.run(
        `DELETE FROM entries WHERE n IN (
           SELECT n FROM entries WHERE room = ? ORDER BY sent_at DESC, entry_id DESC LIMIT -1 OFFSET ?)`,
        [room, Math.max(0, Math.floor(retention.maxEntries))],
      ).changes;
      removed += this.#db.run(
        `DELETE FROM entries WHERE n IN (
           SELECT n FROM (SELECT n, SUM(bytes) OVER (ORDER BY sent_at DESC, entry_id DESC) AS total FROM entries WHERE room = ?)
           WHERE total > ?)`,
        [room, retention.maxBytes],
      ).changes;
      if (removed > 0) this.#changes.forgetOrphans(room);
      return removed;
    });
  }

  close(): void {
    this.#db.close();
  }

  // ---- rows --------------------------------------------------------------------------------------------------

  #room(key: string, create: boolean): number | undefined {
    const known = this.#roomIds.get(key);
    if (known !== undefined) return known;
    let row = this.#db.get('SELECT id FROM rooms WHERE key = ?', [key]);
    if (row === undefined && create) {
      this.#db.run('INSERT INTO rooms (key) VALUES (?)', [key]);
      row = this.#db.get('SELECT id FROM rooms WHERE key = ?', [key]);
    }
    if (row === undefined) return undefined;
    const id = Number(row['id']);
    this.#roomIds.set(key, id);
    return id;
  }

  #appendOne(room: number, entry: HistoryEntry): AppendResult {
    if (entry.kind !== 'system') {
      const held = this.#byMessage.get([room, entry.from, entry.messageId]);
      if (held !== undefined) {
        if (held['seq'] === null && entry.seq !== undefined && this.#bySeq.get([room, entry.seq]) === undefined) {
          this.#db.run('UPDATE entries SET seq = ? WHERE n = ?', [entry.seq, held['n']!]);
        }
        return { id: entry.id, added: false };
      }
      if (entry.seq !== undefined && this.#bySeq.get([room, entry.seq]) !== undefined) return { id: entry.id, added: false };
    }
    let id = entry.id;
    const holder = this.#byEntryId.get([room, id]);
    if (holder !== undefined) {
      if (entry.kind === 'system') return { id, added: false };
      id = derivedId(entry.from, entry.messageId);
      if (this.#byEntryId.get([room, id]) !== undefined) return { id, added: false };
    }
    this.#insert.run(rowValues(room, { ...entry, id }));
    return { id, added: true };
  }

  #cursor(room: number, id: string): { sentAt: number; id: string } | undefined {
    const row = this.#db.get('SELECT sent_at FROM entries WHERE room = ? AND entry_id = ?', [room, id]);
    return row === undefined ? undefined : { sentAt: Number(row['sent_at']), id };
  }

  /** Rows read newest first, one more than `limit` (which says whether there are older ones): oldest first. */
  #olderPage(room: number, rows: Row[], limit: number): HistoryPage {
    const hasOlder = rows.length > limit;
    return { entries: this.#toEntries(room, rows.slice(0, limit).reverse()), hasOlder, hasNewer: false };
  }

  /** Entries of rows, with the reactions on each. */
  #toEntries(room: number, rows: Row[]): HistoryEntry[] {
    const entries = rows.map((row) => this.#toEntry(row));
    const reactions = this.#changes.reactionsOf(room, entries.flatMap((entry) => (entry.kind === 'system' ? [] : [entry.messageId])));
    return entries.map((entry) => {
      const on = entry.kind === 'system' ? undefined : reactions.get(entry.messageId);
      return on ? { ...entry, reactions: on } : entry;
    });
  }

  #toEntry(row: Row): HistoryEntry {
    const kind = String(row['kind']);
    const id = String(row['entry_id']);
    if (kind === 'system') {
      const tone = String(row['tone']);
      return { kind: 'system', id, text: String(row['body']), at: Number(row['sent_at']), tone: tone === 'warning' || tone === 'error' ? tone : 'info' };
    }
    const common = {
      id,
      messageId: String(row['message_id']),
      from: String(row['sender']),
      own: row['own'] === 1,
      sentAt: Number(row['sent_at']),
      seq: row['seq'] === null ? undefined : Number(row['seq']),
      legacy: row['legacy'] === 1,
      encrypted: row['encrypted'] === 1,
      delivered: row['delivered'] === 1,
      ...(row['reply_to'] === null ? {} : { replyTo: String(row['reply_to']) }),
      ...(row['edited_at'] === null ? {} : { editedAt: Number(row['edited_at']) }),
      ...(row['deleted'] === 1 ? { deleted: true } : {}),
    };
    if (kind === 'image') {
      const stored = row['image_file'];
      const file = typeof stored === 'string' && this.#options.fileExists(stored) ? stored : undefined;
      const image = { file, width: Number(row['image_width']), height: Number(row['image_height']), bytes: Number(row['image_bytes']) };
      return { ...common, kind: 'image', image };
    }
    const snippet = snippetFromColumn(row['snippet']);
    return { ...common, kind: 'text', text: String(row['body']), ...(snippet !== undefined ? { snippet } : {}) };
  }
}

/** The key `messageKeys` lists: who sent it and the id they gave it. */
export function messageKey(from: string, messageId: string): string {
  return `${from}\n${messageId}`;
}

function rowValues(room: number, entry: HistoryEntry): Array<string | number | null> {
  const at = entryTime(entry);
  if (entry.kind === 'system') {
    const bytes = ROW_OVERHEAD_BYTES + entry.text.length * 2;
    return [room, entry.id, 'system', '', entry.id, 0, entry.text, '', entry.tone, null, null, null, null, at, null, 0, 0, 1, bytes, null, null, 0, null];
  }
  const body = entry.kind === 'text' ? entry.text : '';
  const image = entry.kind === 'image' ? entry.image : undefined;
  const bytes = ROW_OVERHEAD_BYTES + (body.length + entry.from.length) * 2 + (image?.bytes ?? 0);
  return [
    room,
    entry.id,
    entry.kind,
    entry.from,
    entry.messageId,
    entry.own ? 1 : 0,
    body,
    foldForSearch(body),
    null,
    image?.file ?? null,
    image?.width ?? null,
    image?.height ?? null,
    image?.bytes ?? null,
    at,
    entry.seq ?? null,
    entry.legacy ? 1 : 0,
    entry.encrypted ? 1 : 0,
    entry.delivered ? 1 : 0,
    bytes,
    entry.replyTo ?? null,
    entry.editedAt ?? null,
    entry.deleted ? 1 : 0,
    snippetColumn(entry.kind === 'text' ? entry.snippet : undefined),
  ];
}

/** An id for a message whose id another sender's message already holds: a hash of the sender, then the id. */
function derivedId(from: string, messageId: string): string {
  let hash = 0x811c9dc5; // FNV-1a, 32 bits: spreads names; collisions only cost another derived id
  for (let i = 0; i < from.length; i++) hash = Math.imul(hash ^ from.charCodeAt(i), 0x01000193) >>> 0;
  return `${hash.toString(16).padStart(8, '0')}-${messageId}`.slice(0, 40);
}

function clampPage(limit: number): number {
  return Math.max(1, Math.min(MAX_PAGE, Math.floor(limit) || 1));
}
