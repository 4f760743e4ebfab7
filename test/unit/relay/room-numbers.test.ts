import assert from 'node:assert/strict';
import { RESTART_SEQ_GAP, RoomNumbers, type HistoryReader } from '../../../src/relay/history';

/** A store that says only what each room's latest number is. */
function readerWith(latest: Record<string, number>): HistoryReader {
  return {
    latestSeq: (room) => latest[room] ?? 0,
    after: () => [],
    before: () => [],
    roomVerifier: () => undefined,
  };
}

describe('RoomNumbers', () => {
  it('numbers a room with nothing stored from 1', () => {
    const numbers = new RoomNumbers(readerWith({}));
    assert.deepEqual([numbers.next('general'), numbers.next('general')], [1, 2]);
  });

  it('skips RESTART_SEQ_GAP past what the store holds, so numbers given live but not committed are never given again', () => {
    const numbers = new RoomNumbers(readerWith({ general: 41 }));
    assert.equal(numbers.latest('general'), 41 + RESTART_SEQ_GAP);
    assert.equal(numbers.next('general'), 41 + RESTART_SEQ_GAP + 1);
    assert.equal(numbers.next('general'), 41 + RESTART_SEQ_GAP + 2);
  });

  it('keeps numbering from memory once it has read a room, not skipping again', () => {
    const numbers = new RoomNumbers(readerWith({ general: 5 }));
    const first = numbers.next('general');
    assert.equal(numbers.latest('general'), first);
    assert.equal(numbers.next('general'), first + 1);
  });
});
