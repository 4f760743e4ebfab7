import assert from 'node:assert/strict';
import { MemoryHistoryStore } from '../../../src/history/memory-store';
import { storedBytes } from '../../../src/history/store';
import { historyStoreContract, newMessage, roomPinContract } from '../../support/history-contract';

describe('history/memory-store', () => {
  describe('the HistoryStore contract', () => {
    historyStoreContract(() => new MemoryHistoryStore());
  });

  describe('the HistoryStore contract: room pins', () => {
    roomPinContract(() => new MemoryHistoryStore());
  });

  it('stays within maxBytes in all by dropping the oldest messages of any room', () => {
    const each = storedBytes(newMessage('a', 'x'.repeat(100)));
    const store = new MemoryHistoryStore({ maxBytes: 3 * each });
    // Room 'a' comes first, but room 'b' holds the oldest message: that one goes.
    store.append([newMessage('a', 'x'.repeat(100), { storedAt: 2 }), newMessage('b', 'x'.repeat(100), { storedAt: 1 })]);
    store.append([newMessage('a', 'x'.repeat(100), { storedAt: 3 }), newMessage('b', 'x'.repeat(100), { storedAt: 4 })]);
    assert.deepEqual(store.after('a', 0, 10).map((m) => m.seq), [1, 2]);
    assert.deepEqual(store.after('b', 0, 10).map((m) => m.seq), [2]);
    assert.equal(store.latestSeq('b'), 2);
  });

  it('keeps its own copy of the payload: a caller reusing its buffer does not rewrite history', () => {
    const store = new MemoryHistoryStore();
    const payload = new Uint8Array([1, 2, 3]);
    store.append([newMessage('a', '', { payload })]);
    payload.fill(0);
    assert.deepEqual([...store.after('a', 0, 1)[0]!.payload], [1, 2, 3]);
  });
});
