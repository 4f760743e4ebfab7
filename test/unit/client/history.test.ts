import assert from 'node:assert/strict';
import { HistoryTracker, HISTORY_PAGE_MESSAGES } from '../../../src/client/history';
import { HistoryDirection } from '../../../src/protocol/payload';

/** The first join's request answered: the room's latest number is `latest`. */
function joinedAt(latest: number, initial = 0): HistoryTracker {
  const tracker = new HistoryTracker({ initial });
  const [first] = tracker.joined();
  tracker.ended(first!.requestId, latest, true, 0);
  return tracker;
}

describe('client/history (the resume point and what to ask)', () => {
  it('asks for the last `initial` messages on the first join, and after its resume point on a rejoin', () => {
    const tracker = new HistoryTracker({ initial: 30 });
    const [first] = tracker.joined();
    assert.deepEqual({ ...first, requestId: 0 }, { requestId: 0, direction: HistoryDirection.Before, seq: 0, limit: 30 });
    tracker.ended(first!.requestId, 12, false, 1);
    assert.equal(tracker.covered, 12);
    const [again] = tracker.joined();
    assert.deepEqual({ ...again, requestId: 0 }, { requestId: 0, direction: HistoryDirection.After, seq: 12, limit: HISTORY_PAGE_MESSAGES });
  });

  it('asks after the number the caller holds on the first join when given one', () => {
    const [first] = new HistoryTracker({ initial: 50, after: 40 }).joined();
    assert.deepEqual([first?.direction, first?.seq], [HistoryDirection.After, 40]);
  });

  it('follows the chain of live numbers, and holds back at a gap until it is filled', () => {
    const tracker = joinedAt(3);
    tracker.numbered(5, 3); // 4 was ours
    assert.equal(tracker.covered, 5);
    tracker.numbered(7, 6); // a text that overtook the image numbered 6
    assert.equal(tracker.covered, 5);
    tracker.numbered(6, 5);
    assert.equal(tracker.covered, 7);
  });

  it('asks for the next page until a catch-up is complete, then ends the backlog with every page\'s count', () => {
    const tracker = joinedAt(10);
    const [catchUp] = tracker.joined();
    tracker.shown();
    tracker.shown();
    const partial = tracker.ended(catchUp!.requestId, 500, false, 210);
    assert.equal(tracker.covered, 210);
    assert.deepEqual(partial.send.map((query) => [query.direction, query.seq]), [[HistoryDirection.After, 210]]);
    assert.equal(partial.backlogEnd, undefined);
    tracker.shown();
    const done = tracker.ended(partial.send[0]!.requestId, 500, true, 500);
    assert.deepEqual(done, { send: [], backlogEnd: { count: 3, latestSeq: 500 } });
    assert.equal(tracker.covered, 500);
  });

  it('settles a request of the caller with what it showed, and leaves the resume point alone', () => {
    const tracker = joinedAt(20);
    const results: unknown[] = [];
    const query = tracker.request(HistoryDirection.Before, 5, 3, (result) => results.push(result));
    tracker.shown();
    tracker.ended(query.requestId, 99, true, 2);
    assert.deepEqual(results, [{ count: 1, latestSeq: 99, complete: true }]);
    assert.equal(tracker.covered, 20);
  });

  it('asks again, on a rejoin, what the caller asked and got no answer for; and settles it on close', () => {
    const tracker = joinedAt(1);
    const results: unknown[] = [];
    const query = tracker.request(HistoryDirection.Before, 0, 10, (result) => results.push(result));
    const again = tracker.joined();
    assert.deepEqual(again.map((asked) => asked.requestId).slice(0, 1), [query.requestId]);
    tracker.close();
    assert.deepEqual(results, [{ count: 0, latestSeq: 1, complete: false }]);
  });
});

describe('client/history: more than a page on the first join', () => {
  it('learns the latest number first, then reads forward from `initial` before it, page by page', () => {
    const tracker = new HistoryTracker({ initial: 500 });
    const [probe] = tracker.joined();
    assert.deepEqual([probe?.direction, probe?.limit], [HistoryDirection.Before, 0]);
    const first = tracker.ended(probe!.requestId, 1000, false, 0);
    assert.deepEqual(first.send.map((query) => [query.direction, query.seq]), [[HistoryDirection.After, 500]]);
    assert.equal(tracker.covered, 1000);
    const second = tracker.ended(first.send[0]!.requestId, 1000, false, 700);
    assert.deepEqual(second.send.map((query) => [query.direction, query.seq]), [[HistoryDirection.After, 700]]);
    const last = tracker.ended(second.send[0]!.requestId, 1000, true, 1000);
    assert.deepEqual(last.send, []);
    assert.equal(last.backlogEnd?.latestSeq, 1000);
  });
});
