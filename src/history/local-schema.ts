/**
 * The local history's schema: its application id and its forward migrations (see docs/history.md). A row of
 * `entries` is one line of a room; `entries_fts` indexes the folded copy of its text (search-text.ts), kept by
 * triggers; system lines are not indexed.
 */
import type { Migration } from './sqlite';

/** 'UCLH' (UDP Chat local history), stamped into the file so another application's database is refused. */
export const LOCAL_HISTORY_APPLICATION_ID = 0x55434c48;

/**
 * Forward migrations; index i moves a file from version i to i + 1. Version 1 kept the entries and their index;
 * version 2 remembers where the relay's history starts and keeps relay sequence numbers unique per room; version 3
 * keeps replies, edits, deletes and reactions (local-changes.ts); version 4 keeps where a code snippet came from
 * (`entries.snippet`, local-snippet.ts; its code is the body, searched like any text).
 */
export const LOCAL_HISTORY_MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE rooms (
     id INTEGER PRIMARY KEY,
     key TEXT NOT NULL UNIQUE,
     latest_seq INTEGER NOT NULL DEFAULT 0,
     opened_at INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE entries (
     n INTEGER PRIMARY KEY,
     room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
     entry_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     sender TEXT NOT NULL,
     message_id TEXT NOT NULL,
     own INTEGER NOT NULL,
     body TEXT NOT NULL,
     folded TEXT NOT NULL,
     tone TEXT,
     image_file TEXT,
     image_width INTEGER,
     image_height INTEGER,
     image_bytes INTEGER,
     sent_at INTEGER NOT NULL,
     seq INTEGER,
     legacy INTEGER NOT NULL,
     encrypted INTEGER NOT NULL,
     delivered INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     UNIQUE (room, entry_id),
     UNIQUE (room, sender, message_id)
   );
   CREATE INDEX entries_order ON entries (room, sent_at, entry_id);
   CREATE VIRTUAL TABLE entries_fts USING fts5(
     folded, content = 'entries', content_rowid = 'n', tokenize = 'unicode61 remove_diacritics 2'
   );
   CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries WHEN new.kind != 'system' BEGIN
     INSERT INTO entries_fts (rowid, folded) VALUES (new.n, new.folded);
   END;
   CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries WHEN old.kind != 'system' BEGIN
     INSERT INTO entries_fts (entries_fts, rowid, folded) VALUES ('delete', old.n, old.folded);
   END;
   CREATE TRIGGER entries_fts_update AFTER UPDATE OF folded ON entries WHEN old.kind != 'system' BEGIN
     INSERT INTO entries_fts (entries_fts, rowid, folded) VALUES ('delete', old.n, old.folded);
     INSERT INTO entries_fts (rowid, folded) VALUES (new.n, new.folded);
   END;`,
  `ALTER TABLE rooms ADD COLUMN relay_start_reached INTEGER NOT NULL DEFAULT 0;
   CREATE UNIQUE INDEX entries_seq ON entries (room, seq) WHERE seq IS NOT NULL;`,
  `ALTER TABLE entries ADD COLUMN reply_to TEXT;
   ALTER TABLE entries ADD COLUMN edited_at INTEGER;
   ALTER TABLE entries ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE reactions (
     room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
     message_id TEXT NOT NULL,
     member TEXT NOT NULL,
     emoji TEXT NOT NULL,
     PRIMARY KEY (room, message_id, emoji, member)
   ) WITHOUT ROWID;`,
  `ALTER TABLE entries ADD COLUMN snippet TEXT;`,
];
