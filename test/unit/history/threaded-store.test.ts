import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseError } from '../../../src/history/database-error';
import { openSqliteHistoryStore } from '../../../src/history/sqlite-store';
import { openThreadedHistoryStore, type ThreadedHistoryStore } from '../../../src/history/threaded-store';
import { historyStoreContract, newMessage, roomPinContract } from '../../support/history-contract';

const texts = (messages: readonly { payload: Uint8Array }[]): string[] => messages.map((message) => new TextDecoder().decode(message.payload));

describe('history/threaded-store', function () {
  // Each store starts a worker thread that compiles SQLite's WebAssembly: a few hundred ms on a busy machine.
  this.timeout(30_000);
  let dir = '';
  const open: ThreadedHistoryStore[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-threaded-store-'));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.closeWhenDone()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const openStore = async (name = 'history.sqlite'): Promise<ThreadedHistoryStore> => {
    const store = await openThreadedHistoryStore(path.join(dir, name));
    open.push(store);
    return store;
  };

  describe('the HistoryStore contract, through the worker', () => {
    let count = 0;
    historyStoreContract(() => openThreadedHistoryStore(path.join(dir, `contract-${count++}.sqlite`)));
  });

  describe('the HistoryStore contract: room pins, through the worker', () => {
    let count = 0;
    roomPinContract(() => openThreadedHistoryStore(path.join(dir, `pins-${count++}.sqlite`)));
  });

  it('answers a background append with the numbers it stored', async () => {
    const store = await openStore();
    const stored = await store.appendDurably([newMessage('a', 'one'), newMessage('a', 'two', { seq: 5 })]);
    assert.deepEqual(stored.map((message) => message.seq), [1, 5]);
  });

  it('lets a read see every write posted before it, even one not yet answered', async () => {
    const store = await openStore();
    const first = store.appendDurably([newMessage('a', 'one')]);
    const pinned = store.pinRoomLater('b', null);
    const second = store.appendDurably([newMessage('a', 'two'), newMessage('b', 'uno')]);
    // Not awaited: the synchronous read queues behind them on the worker.
    assert.deepEqual(texts(store.after('a', 0, 10)), ['one', 'two']);
    assert.equal(store.latestSeq('b'), 1);
    assert.equal(store.roomVerifier('b'), null);
    await Promise.all([first, pinned, second]);
  });

  it('posts the background appends of one gathering as one request, and answers each with its own numbers', async () => {
    const store = await openStore();
    const before = store.backgroundPosts;
    const first = store.appendDurably([newMessage('a', 'one'), newMessage('a', 'two')]);
    // A later turn of the event loop, still within the gathering.
    await new Promise((resolve) => setImmediate(resolve));
    const second = store.appendDurably([newMessage('a', 'three')]);
    const [one, two] = await Promise.all([first, second]);
    assert.deepEqual(one.map((message) => message.seq), [1, 2]);
    assert.deepEqual(two.map((message) => message.seq), [3]);
    assert.equal(store.backgroundPosts - before, 1);
  });

  it('posts the gathered appends before any other write, which then sees them', async () => {
    const store = await openStore();
    const appended = store.appendDurably([newMessage('a', 'old', { storedAt: 1_000 })]);
    const pruned = store.pruneLater(1_000_000, { maxAgeMs: 1, maxRoomBytes: 1 << 20 }, 100);
    await appended;
    assert.equal(await pruned, 1, 'the prune removed the append gathered before it');
    assert.deepEqual(texts(store.after('a', 0, 10)), []);
  });

  it('fails every append of a gathering that cannot be stored, with a DatabaseError', async () => {
    const store = await openStore();
    await store.appendDurably([newMessage('a', 'one', { seq: 3 })]);
    const clash = store.appendDurably([newMessage('a', 'again', { seq: 3 })]);
    const companion = store.appendDurably([newMessage('a', 'with it')]);
    await assert.rejects(clash, DatabaseError);
    await assert.rejects(companion, DatabaseError);
    assert.deepEqual(texts(store.after('a', 0, 10)), ['one']);
  });

  it('fails a background append it cannot store with a DatabaseError, and goes on with the next', async () => {
    const store = await openStore();
    await store.appendDurably([newMessage('a', 'one', { seq: 3 })]);
    await assert.rejects(store.appendDurably([newMessage('a', 'again', { seq: 3 })]), DatabaseError);
    const next = await store.appendDurably([newMessage('a', 'four')]);
    assert.deepEqual(next.map((message) => message.seq), [4]);
    assert.deepEqual(texts(store.after('a', 0, 10)), ['one', 'four']);
  });

  it('refuses a file another store has open, with the reason, and starts no worker that stays', async () => {
    await openStore();
    await assert.rejects(openThreadedHistoryStore(path.join(dir, 'history.sqlite')), (error: unknown) => {
      assert.ok(error instanceof DatabaseError);
      assert.equal(error.reason, 'in-use');
      return true;
    });
  });

  it('commits every write posted before closeWhenDone, and the file opens again afterwards', async () => {
    const file = path.join(dir, 'history.sqlite');
    const store = await openThreadedHistoryStore(file);
    const written = store.appendDurably([newMessage('a', 'kept')]);
    await store.closeWhenDone();
    assert.deepEqual((await written).map((message) => message.seq), [1]);
    const again = openSqliteHistoryStore(file);
    try {
      assert.deepEqual(texts(again.after('a', 0, 10)), ['kept']);
    } finally {
      again.close();
    }
  });

  it('reads a room’s pin through the worker once or twice, not before every message', async () => {
    const store = await openStore();
    const verifier = new Uint8Array(32).fill(7);
    const before = store.blockingCalls;
    for (let index = 0; index < 20; index++) {
      // What the relay does for each message it numbers.
      if (store.roomVerifier('a') === undefined) void store.pinRoomLater('a', verifier);
      void store.appendDurably([newMessage('a', `m${index}`)]);
    }
    assert.deepEqual(store.roomVerifier('a'), verifier);
    assert.ok(store.blockingCalls - before <= 2, `${store.blockingCalls - before} blocking reads`);
  });

  it('keeps the pin it answers with true across background pins, appends and a prune that empties the room', async () => {
    const store = await openStore();
    const first = new Uint8Array(32).fill(1);
    const second = new Uint8Array(32).fill(2);
    assert.equal(store.roomVerifier('a'), undefined);
    void store.pinRoomLater('a', first);
    assert.equal(store.roomVerifier('a'), undefined, 'a pin comes into force with the first message');
    await store.appendDurably([newMessage('a', 'one', { storedAt: 1_000 })]);
    assert.deepEqual(store.roomVerifier('a'), first);
    void store.pinRoomLater('a', second);
    assert.deepEqual(store.roomVerifier('a'), second, 'the pin written last');
    await store.pruneLater(1_000_000, { maxAgeMs: 1, maxRoomBytes: 1 << 20 }, 100);
    assert.equal(store.roomVerifier('a'), undefined, 'the pin went with the last message');
  });

  it('refuses every call once closed, with a DatabaseError', async () => {
    const store = await openStore();
    await store.closeWhenDone();
    assert.throws(() => store.latestSeq('a'), DatabaseError);
    await assert.rejects(store.appendDurably([newMessage('a', 'late')]), DatabaseError);
  });
});
