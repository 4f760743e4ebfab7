import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseError, openDatabase, type Database } from '../../../src/history/sqlite';

const APP_ID = 0x7e57_0001;
const V1 = ['CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE) STRICT'];
const V2 = [...V1, 'ALTER TABLE notes ADD COLUMN stars INTEGER NOT NULL DEFAULT 0'];

function rejectsWith(run: () => unknown, reason: DatabaseError['reason'], pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DatabaseError, `not a DatabaseError: ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('history/sqlite', () => {
  let dir = '';
  let opened: Database[] = [];
  const open = (file: string, migrations: readonly string[] = V1): Database => {
    const db = openDatabase(file, { migrations, applicationId: APP_ID });
    opened.push(db);
    return db;
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-sqlite-'));
    opened = [];
  });
  afterEach(() => {
    for (const db of opened) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a missing folder for its owner only (0700) and the file readable by its owner only (0600)', () => {
    const file = path.join(dir, 'deep', 'er', 'store.sqlite');
    open(file);
    assert.equal((fs.statSync(path.dirname(file)).mode & 0o777).toString(8), '700');
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
  });

  it('runs each migration once, in order, keeping the data: a file at version 1 moves to version 2', () => {
    const file = path.join(dir, 'store.sqlite');
    const first = open(file, V1);
    assert.equal(first.schemaVersion, 1);
    first.run('INSERT INTO notes (body) VALUES (?)', ['kept']);
    first.close();
    const second = open(file, V2);
    assert.equal(second.schemaVersion, 2);
    assert.deepEqual(second.all('SELECT body, stars FROM notes'), [{ body: 'kept', stars: 0 }]);
    assert.equal(second.get('PRAGMA user_version')?.['user_version'], 2);
  });

  it('refuses a file of a newer schema with a clear error and leaves it byte for byte as it was', () => {
    const file = path.join(dir, 'store.sqlite');
    open(file, V2).close();
    const before = fs.readFileSync(file);
    rejectsWith(() => open(file, V1), 'newer-schema', /schema version 2, newer than .* knows \(1\).*left untouched/);
    assert.deepEqual(fs.readFileSync(file), before);
    assert.equal(fs.existsSync(`${file}.owner`), false, 'the refused open released the file');
  });

  it('reports a file that is not a database as corrupt, naming it, without touching it', () => {
    const file = path.join(dir, 'store.sqlite');
    const garbage = Buffer.alloc(8192, 0x5a);
    fs.writeFileSync(file, garbage);
    const named = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged or not a database`);
    rejectsWith(() => open(file), 'corrupt', named);
    assert.deepEqual(fs.readFileSync(file), garbage);
  });

  it('refuses the SQLite file of another application', () => {
    const file = path.join(dir, 'store.sqlite');
    openDatabase(file, { migrations: V1, applicationId: 0x1234 }).close();
    rejectsWith(() => open(file), 'foreign', /belongs to another application/);
  });

  it('owns the file from open to close: a second opener is refused, naming the owner, until the first closes', () => {
    const file = path.join(dir, 'store.sqlite');
    open(file);
    rejectsWith(() => open(file), 'in-use', new RegExp(`in use by process ${process.pid} `));
    opened.pop()!.close();
    assert.equal(open(file).schemaVersion, 1);
  });

  it('commits what a transaction did when it returns and none of it when it throws', () => {
    const db = open(path.join(dir, 'store.sqlite'));
    db.transaction(() => db.run("INSERT INTO notes (body) VALUES ('committed')"));
    assert.throws(() =>
      db.transaction(() => {
        db.run("INSERT INTO notes (body) VALUES ('rolled back')");
        throw new Error('stop');
      }),
    );
    assert.deepEqual(db.all('SELECT body FROM notes'), [{ body: 'committed' }]);
  });

  it('turns a nested transaction into a savepoint: its failure undoes only its own part', () => {
    const db = open(path.join(dir, 'store.sqlite'));
    db.transaction(() => {
      db.run("INSERT INTO notes (body) VALUES ('outer')");
      assert.throws(() =>
        db.transaction(() => {
          db.run("INSERT INTO notes (body) VALUES ('inner')");
          throw new Error('stop');
        }),
      );
    });
    assert.deepEqual(db.all('SELECT body FROM notes'), [{ body: 'outer' }]);
  });

  it('refuses an async transaction body and rolls back what it did before its first await', async () => {
    const db = open(path.join(dir, 'store.sqlite'));
    let settled: Promise<void> | undefined;
    assert.throws(
      () =>
        db.transaction(() => {
          db.run("INSERT INTO notes (body) VALUES ('before the await')");
          settled = Promise.resolve();
          return settled;
        }),
      /must be synchronous/,
    );
    await settled;
    assert.deepEqual(db.all('SELECT body FROM notes'), []);
  });

  it('keeps a prepared statement usable after one of its runs failed', () => {
    const db = open(path.join(dir, 'store.sqlite'));
    const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
    insert.run(['same']);
    rejectsWith(() => insert.run(['same']), 'failed', /UNIQUE/);
    insert.run(['other']);
    assert.deepEqual(db.all('SELECT body FROM notes ORDER BY id'), [{ body: 'same' }, { body: 'other' }]);
  });

  it('reopens the image of a crash in the middle of a transaction with none of that transaction in it', () => {
    const file = path.join(dir, 'store.sqlite');
    const db = open(file, V2);
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) db.run('INSERT INTO notes (body) VALUES (?)', [`note ${i}`.padEnd(200, '.')]);
    });
    // A tiny page cache makes SQLite write the changed pages to disk before the commit, as a big one would.
    db.exec('PRAGMA cache_size = 2');
    db.exec('BEGIN IMMEDIATE');
    db.run('UPDATE notes SET stars = 1');
    // What a kill -9 at this moment leaves on disk: the files as they are, without their owner.
    const crashed = path.join(dir, 'crashed', 'store.sqlite');
    fs.mkdirSync(path.dirname(crashed));
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith('store.sqlite') && !name.endsWith('.owner') && !name.endsWith('.lock')) {
        fs.copyFileSync(path.join(dir, name), path.join(path.dirname(crashed), name));
      }
    }
    db.exec('ROLLBACK');
    const recovered = open(crashed, V2);
    assert.equal(recovered.integrityCheck(), 'ok');
    assert.deepEqual(recovered.all('SELECT stars, count(*) AS n FROM notes GROUP BY stars'), [{ stars: 0, n: 2000 }]);
  });
});
