import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseError, openDatabase } from '../../../src/history/sqlite';
import {
  openSqliteHistoryStore,
  RELAY_HISTORY_APPLICATION_ID,
  RELAY_HISTORY_MIGRATIONS,
} from '../../../src/history/sqlite-store';
import { historyStoreContract, newMessage, roomPinContract, T0_MS } from '../../support/history-contract';

describe('history/sqlite-store', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-sqlite-store-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('the HistoryStore contract', () => {
    let count = 0;
    historyStoreContract(() => openSqliteHistoryStore(path.join(dir, `contract-${count++}.sqlite`)));
  });

  describe('the HistoryStore contract: room pins', () => {
    let count = 0;
    roomPinContract(() => openSqliteHistoryStore(path.join(dir, `pins-${count++}.sqlite`)));
  });

  it('keeps every message and every room number across a close and reopen', () => {
    const file = path.join(dir, 'history.sqlite');
    const first = openSqliteHistoryStore(file);
    first.append([newMessage('a', 'one'), newMessage('b', 'uno'), newMessage('a', 'two')]);
    first.close();
    const second = openSqliteHistoryStore(file);
    try {
      assert.deepEqual(
        second.after('a', 0, 10).map((m) => new TextDecoder().decode(m.payload)),
        ['one', 'two'],
      );
      assert.equal(second.latestSeq('b'), 1);
      assert.deepEqual(second.append([newMessage('a', 'three')]).map((m) => m.seq), [3]);
    } finally {
      second.close();
    }
  });

  it('goes on numbering after the highest number when retention emptied a room before a reopen', () => {
    const file = path.join(dir, 'history.sqlite');
    const first = openSqliteHistoryStore(file);
    first.append([newMessage('a', 'one'), newMessage('a', 'two')]);
    first.prune(T0_MS + 10, { maxAgeMs: 1, maxRoomBytes: 1e9 });
    first.close();
    const second = openSqliteHistoryStore(file);
    try {
      assert.deepEqual(second.after('a', 0, 10), []);
      assert.deepEqual(second.append([newMessage('a', 'three')]).map((m) => m.seq), [3]);
    } finally {
      second.close();
    }
  });

  it('keeps each room\'s pin across a close and reopen', () => {
    const file = path.join(dir, 'history.sqlite');
    const first = openSqliteHistoryStore(file);
    first.pinRoom('sealed', new Uint8Array(32).fill(3));
    first.pinRoom('open', null);
    first.append([newMessage('sealed', 'x'), newMessage('open', 'y')]);
    first.close();
    const second = openSqliteHistoryStore(file);
    try {
      assert.deepEqual([...(second.roomVerifier('sealed') ?? [])], [...new Uint8Array(32).fill(3)]);
      assert.equal(second.roomVerifier('open'), null);
    } finally {
      second.close();
    }
  });

  it('moves a version-1 file to version 2: its messages stay, its rooms start unpinned and can be pinned', () => {
    const file = path.join(dir, 'history.sqlite');
    const v1 = openDatabase(file, { migrations: RELAY_HISTORY_MIGRATIONS.slice(0, 1), applicationId: RELAY_HISTORY_APPLICATION_ID });
    assert.equal(v1.schemaVersion, 1);
    v1.run("INSERT INTO rooms (id, name, latest_seq, bytes) VALUES (1, 'a', 7, 100)");
    v1.run(
      `INSERT INTO messages (room_id, seq, type, message_id, sender, member_key, stored_at, size, payload)
       VALUES (1, 7, 1, ?, 'ada', NULL, ?, 100, ?)`,
      [new Uint8Array(8).fill(1), T0_MS, new TextEncoder().encode('from version 1')],
    );
    v1.close();
    const store = openSqliteHistoryStore(file);
    try {
      assert.equal(store.database.schemaVersion, 2);
      assert.equal(Number(store.database.get('PRAGMA user_version')?.['user_version']), 2);
      assert.deepEqual(store.after('a', 0, 10).map((m) => [m.seq, new TextDecoder().decode(m.payload), m.messageId]), [
        [7, 'from version 1', 0x0101_0101_0101_0101n],
      ]);
      assert.equal(store.roomVerifier('a'), undefined);
      store.pinRoom('a', new Uint8Array(32).fill(4));
      assert.deepEqual([...(store.roomVerifier('a') ?? [])], [...new Uint8Array(32).fill(4)]);
      assert.deepEqual(store.append([newMessage('a', 'after the migration')]).map((m) => m.seq), [8]);
      assert.equal(store.database.integrityCheck(), 'ok');
    } finally {
      store.close();
    }
  });

  it('erases the verifier from the file when retention drops the room\'s last message', () => {
    const store = openSqliteHistoryStore(path.join(dir, 'history.sqlite'));
    try {
      store.pinRoom('a', new Uint8Array(32).fill(5));
      store.append([newMessage('a', 'x')]);
      store.prune(T0_MS + 10, { maxAgeMs: 1, maxRoomBytes: 1e9 });
      assert.deepEqual(store.database.all("SELECT pinned, verifier FROM rooms WHERE name = 'a'"), [{ pinned: 0, verifier: null }]);
    } finally {
      store.close();
    }
  });

  it('stores none of a batch that fails part-way, and numbering goes on as if it had not been tried', () => {
    const store = openSqliteHistoryStore(path.join(dir, 'history.sqlite'));
    try {
      store.append([newMessage('a', 'kept')]);
      // A type that is not an integer is refused by the STRICT table: the third insert of the batch throws.
      const bad = newMessage('a', 'bad', { type: 'text' as unknown as number });
      assert.throws(() => store.append([newMessage('a', 'lost 1'), newMessage('b', 'lost 2'), bad]));
      assert.equal(store.latestSeq('a'), 1);
      assert.equal(store.latestSeq('b'), 0);
      assert.deepEqual(store.append([newMessage('a', 'next'), newMessage('b', 'first')]).map((m) => m.seq), [2, 1]);
      assert.deepEqual(store.after('a', 0, 10).map((m) => new TextDecoder().decode(m.payload)), ['kept', 'next']);
    } finally {
      store.close();
    }
  });

  it('reports a file cut short as damaged, without crashing and without keeping it locked', () => {
    const file = path.join(dir, 'history.sqlite');
    const store = openSqliteHistoryStore(file);
    store.append(Array.from({ length: 2000 }, (_, i) => newMessage('a', `message ${i}`.padEnd(100, '.'))));
    store.close();
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2 / 4096) * 4096);
    for (let attempt = 0; attempt < 2; attempt++) {
      assert.throws(
        () => openSqliteHistoryStore(file).close(),
        (error: unknown) => error instanceof DatabaseError && error.reason === 'corrupt' && /is damaged/.test(error.message),
      );
    }
  });
});
