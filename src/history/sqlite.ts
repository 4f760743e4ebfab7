/**
 * SQLite (node-sqlite3-wasm: SQLite compiled to WebAssembly, FTS5 included) opened the one way every store of
 * this project opens it: durable, crash-safe, owned by one process, with forward-only schema migrations.
 *
 * Why WAL in exclusive locking mode, and not the rollback journal: this VFS takes its lock as a `<file>.lock`
 * directory and answers "is it reserved?" with "does that directory exist?", which is always true for the
 * connection asking. SQLite then never treats a journal left by a crash as hot, and a crash in the middle of a
 * commit would leave half of a transaction in the file. The WAL needs no such check: recovery keeps the frames up
 * to the last commit whose checksum holds and drops the rest. The VFS has no shared memory, so the WAL works only
 * with `locking_mode=EXCLUSIVE` (the wal-index lives in this process's heap): one connection owns the file.
 *
 * That ownership is made explicit by `<file>.owner` (file-owner.ts): a second opener gets a clear "in use" error
 * instead of waiting, and what a dead owner left is removed, so `kill -9` never leaves the store locked.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as Sqlite from 'node-sqlite3-wasm';
import { asDatabaseError, DatabaseError, messageOf } from './database-error';
import { takeOwnership, type Ownership } from './file-owner';

export { DatabaseError, type DatabaseErrorReason } from './database-error';

export type SqliteValue = Sqlite.SQLiteValue;
export type BindValues = Sqlite.BindValues;
export type Row = Record<string, SqliteValue>;

/** One step of a schema: run inside the transaction that moves `user_version` from its index to index + 1. */
export type Migration = string | ((db: Database) => void);

export interface OpenOptions {
  /**
   * Forward migrations: `migrations[i]` moves a file at schema version i to version i + 1; the latest version is
   * `migrations.length`. A file at a higher version is refused (reason 'newer-schema') and left as it is.
   */
  migrations?: readonly Migration[];
  /** Stamped into the file (`PRAGMA application_id`) and checked on open, so a foreign SQLite file is refused. */
  applicationId?: number;
}

export interface Database {
  readonly file: string;
  /** The schema version the file is at (the number of migrations applied). */
  readonly schemaVersion: number;
  exec(sql: string): void;
  run(sql: string, values?: BindValues): { changes: number; lastInsertRowid: number | bigint };
  get(sql: string, values?: BindValues): Row | undefined;
  all(sql: string, values?: BindValues): Row[];
  /** A statement compiled once and kept until close (the hot paths: append, page reads). */
  prepare(sql: string): Statement;
  /**
   * Runs `fn` in one transaction: committed (and durable, `synchronous=FULL`) when it returns, rolled back when
   * it throws. Nested calls become savepoints, so a helper may open its own transaction inside a caller's.
   */
  transaction<T>(fn: () => T): T;
  /** `PRAGMA integrity_check`: 'ok', or the first problems SQLite found. */
  integrityCheck(): string;
  close(): void;
}

export interface Statement {
  run(values?: BindValues): { changes: number; lastInsertRowid: number | bigint };
  get(values?: BindValues): Row | undefined;
  all(values?: BindValues): Row[];
}

/** Waiting for a lock is never needed among owners (one process per file); this only bounds a stray reader (ms). */
const BUSY_TIMEOUT_MS = 250;
/** The WAL is checkpointed into the file every this many pages (4 KiB each): ~4 MiB of log at most. */
const WAL_AUTOCHECKPOINT_PAGES = 1000;
/** After a checkpoint the WAL file is truncated back to this size (bytes), so it does not stay at its peak. */
const JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;
/** Folders and files hold other people's messages (sealed or not): only the user may read them. */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

let sqliteModule: typeof Sqlite | undefined;
/** Loaded on first open, not at import: compiling 1.3 MB of WebAssembly must not delay activation. */
function loadSqlite(): typeof Sqlite {
  sqliteModule ??= require('node-sqlite3-wasm') as typeof Sqlite;
  return sqliteModule;
}

/** Opens (creating if needed) the database at `file`, takes ownership, applies pending migrations. */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  const absolute = path.resolve(file);
  try {
    fs.mkdirSync(path.dirname(absolute), { recursive: true, mode: DIR_MODE });
  } catch (error) {
    throw new DatabaseError('io', absolute, `cannot create the folder of ${absolute}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const owner = takeOwnership(absolute);
  let raw: Sqlite.Database | undefined;
  try {
    const { Database: SqliteDatabase } = loadSqlite();
    raw = new SqliteDatabase(absolute);
    fs.chmodSync(absolute, FILE_MODE);
    const db = wrap(raw, absolute, owner);
    configure(db, absolute);
    (db as { schemaVersion: number }).schemaVersion = migrate(db, absolute, options);
    syncDirectory(path.dirname(absolute));
    return db;
  } catch (error) {
    try {
      raw?.close();
    } catch {
      // The open failed already; the first error is the one to report.
    }
    owner.release();
    throw asDatabaseError(error, absolute);
  }
}

function configure(db: Database, file: string): void {
  // Order matters: exclusive locking before the first read, or SQLite would look for the shared-memory wal-index
  // that this VFS cannot provide (and a file already in WAL mode could not be opened at all).
  db.exec('PRAGMA locking_mode = EXCLUSIVE');
  const mode = db.get('PRAGMA journal_mode = WAL')?.['journal_mode'];
  if (mode !== 'wal') {
    throw new DatabaseError('io', file, `${file}: write-ahead log unavailable (mode ${String(mode)})`);
  }
  // FULL: every commit fsyncs the log before it returns, so "committed" survives power loss, not only a crash.
  db.exec(`PRAGMA synchronous = FULL;
    PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};
    PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES};
    PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES};
    PRAGMA foreign_keys = ON`);
}

function migrate(db: Database, file: string, options: OpenOptions): number {
  const migrations = options.migrations ?? [];
  const applicationId = options.applicationId ?? 0;
  const current = Number(db.get('PRAGMA user_version')?.['user_version'] ?? 0);
  const stamped = Number(db.get('PRAGMA application_id')?.['application_id'] ?? 0);
  if (applicationId !== 0 && stamped !== 0 && stamped !== applicationId) {
    throw new DatabaseError('foreign', file, `${file} belongs to another application (id ${stamped})`);
  }
  if (current > migrations.length) {
    throw new DatabaseError(
      'newer-schema',
      file,
      `${file} has schema version ${current}, newer than this version of udp-chat knows (${migrations.length}); ` +
        'it was left untouched: update udp-chat, or use another data folder',
    );
  }
  for (let version = current; version < migrations.length; version++) {
    const step = migrations[version]!;
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      // PRAGMAs take no parameters; both values are integers from this program.
      db.exec(`PRAGMA user_version = ${version + 1}`);
      if (applicationId !== 0) db.exec(`PRAGMA application_id = ${applicationId | 0}`);
    });
  }
  return migrations.length;
}

function wrap(raw: Sqlite.Database, file: string, owner: Ownership): Database {
  const statements = new Set<Sqlite.Statement>();
  let savepoints = 0;
  const guard = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      throw asDatabaseError(error, file);
    }
  };
  const db: Database = {
    file,
    schemaVersion: 0,
    exec: (sql) => guard(() => raw.exec(sql)),
    run: (sql, values) => guard(() => raw.run(sql, values)),
    get: (sql, values) => guard(() => (raw.get(sql, values) as Row | null) ?? undefined),
    all: (sql, values) => guard(() => raw.all(sql, values) as Row[]),
    prepare(sql) {
      // A statement whose last step failed cannot be bound again in this binding (its reset repeats the error):
      // it is dropped and compiled afresh on next use.
      let statement: Sqlite.Statement | undefined;
      const use = <T>(run: (current: Sqlite.Statement) => T): T => {
        statement ??= guard(() => raw.prepare(sql));
        const current = statement;
        statements.add(current);
        try {
          return run(current);
        } catch (error) {
          statement = undefined;
          statements.delete(current);
          try {
            current.finalize();
          } catch {
            // Finalizing reports the same failure again; the caller gets the first report.
          }
          throw asDatabaseError(error, file);
        }
      };
      use(() => undefined); // compile now, so that a typo fails at prepare time
      return {
        run: (values) => use((current) => current.run(values)),
        get: (values) => use((current) => (current.get(values) as Row | null) ?? undefined),
        all: (values) => use((current) => current.all(values) as Row[]),
      };
    },
    transaction<T>(fn: () => T): T {
      const name = `sp${savepoints}`;
      const outer = savepoints === 0;
      guard(() => raw.exec(outer ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${name}`));
      savepoints++;
      try {
        const result = fn();
        // An async fn would run its awaited part after the commit, outside the transaction it asked for.
        if (result instanceof Promise) throw new TypeError('transaction(fn): fn must be synchronous');
        guard(() => raw.exec(outer ? 'COMMIT' : `RELEASE ${name}`));
        return result;
      } catch (error) {
        try {
          if (outer) {
            if (raw.inTransaction) raw.exec('ROLLBACK');
          } else {
            raw.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
          }
        } catch {
          // SQLite may have rolled back already (e.g. after an I/O error); the caller gets the first error.
        }
        throw error;
      } finally {
        savepoints--;
      }
    },
    integrityCheck() {
      const rows = guard(() => raw.all('PRAGMA integrity_check') as Row[]);
      return rows.map((row) => String(row['integrity_check'])).join('\n');
    },
    close() {
      if (!raw.isOpen) return;
      for (const statement of statements) {
        if (!statement.isFinalized) statement.finalize();
      }
      statements.clear();
      try {
        raw.close();
      } finally {
        owner.release();
      }
    },
  };
  return db;
}

/**
 * The file and its write-ahead log exist now (the log is kept until close in exclusive mode): make their names
 * durable too, or a power cut could lose a log whose contents were synced. Where a folder cannot be opened for
 * syncing (Windows), names are durable once written.
 */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Not supported here: nothing more can be done.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
