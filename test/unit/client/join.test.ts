import assert from 'node:assert/strict';
import { classifyRefusal, DEFAULT_JOIN_RETRY_MS, DEFAULT_MAX_JOIN_RETRY_MS, JoinBackoff } from '../../../src/client/join';
import { ErrorCode } from '../../../src/protocol/types';

const T0 = 10_000;

/** Sends a Join whenever one is due, stepping 1 ms at a time, and returns the times they went out. */
function joinTimes(backoff: JoinBackoff, from: number, until: number): number[] {
  const sent: number[] = [];
  for (let now = from; now <= until; now++) {
    if (backoff.due(now)) {
      backoff.sent(now);
      sent.push(now - from);
    }
  }
  return sent;
}

describe('client/join', () => {
  describe('JoinBackoff', () => {
    it('sends nothing while held, however late, and resumes its schedule from the Join that ends the hold', () => {
      const backoff = new JoinBackoff(100, 400);
      backoff.restart(T0);
      backoff.sent(T0);
      backoff.hold();
      assert.equal(backoff.nextAt, undefined);
      assert.equal(backoff.joining, true, 'a held join is still under way');
      assert.deepEqual(joinTimes(backoff, T0, T0 + 10_000), []);
      assert.equal(backoff.sent(T0 + 10_000), T0 + 10_200);
      assert.equal(backoff.held, false);
      assert.deepEqual(joinTimes(backoff, T0 + 10_001, T0 + 10_999), [199, 599]);
    });

    it('sends the first Join at once, then after 250, 500, 1000, 2000 and 2000 ms', () => {
      const backoff = new JoinBackoff();
      backoff.restart(T0);
      const times = joinTimes(backoff, T0, T0 + 7749);
      const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
      assert.deepEqual(times.slice(0, 1), [0]);
      assert.deepEqual(gaps, [250, 500, 1000, 2000, 2000]);
      assert.equal(backoff.nextAt, T0 + 7750);
      assert.equal(DEFAULT_JOIN_RETRY_MS, 250);
      assert.equal(DEFAULT_MAX_JOIN_RETRY_MS, 2000);
    });

    it('is not due a millisecond before the next Join', () => {
      const backoff = new JoinBackoff(100, 400);
      backoff.restart(T0);
      assert.equal(backoff.due(T0), true);
      assert.equal(backoff.sent(T0), T0 + 100);
      assert.equal(backoff.due(T0 + 99), false);
      assert.equal(backoff.due(T0 + 100), true);
    });

    it('starts the back-off over on restart', () => {
      const backoff = new JoinBackoff(100, 1000);
      backoff.restart(T0);
      for (const now of [T0, T0 + 100, T0 + 300, T0 + 700]) backoff.sent(now);
      assert.equal(backoff.nextAt, T0 + 1500);
      backoff.restart(T0 + 2000);
      assert.equal(backoff.nextAt, T0 + 2000);
      assert.equal(backoff.sent(T0 + 2000), T0 + 2100);
    });

    it('is never due once stopped', () => {
      const backoff = new JoinBackoff();
      backoff.restart(T0);
      backoff.stop();
      assert.equal(backoff.nextAt, undefined);
      assert.equal(backoff.due(T0 + 1_000_000), false);
    });

    it('keeps a maximum below the first delay at the first delay', () => {
      const backoff = new JoinBackoff(500, 100);
      backoff.restart(T0);
      assert.deepEqual(joinTimes(backoff, T0, T0 + 1500), [0, 500, 1000, 1500]);
    });
  });

  describe('classifyRefusal', () => {
    it('gives up on the first join whatever the refusal', () => {
      for (const code of [ErrorCode.NameTaken, ErrorCode.RoomFull, ErrorCode.WrongPassphrase, ErrorCode.UnsupportedVersion]) {
        assert.equal(classifyRefusal(code, false), 'fatal');
      }
    });

    it('keeps rejoining when the name is still held or the room or relay is full for a moment', () => {
      for (const code of [ErrorCode.NameTaken, ErrorCode.RoomFull, ErrorCode.RelayFull, ErrorCode.RateLimited]) {
        assert.equal(classifyRefusal(code, true), 'retry');
      }
    });

    it('gives up on a rejoin refused for a reason that retrying cannot fix', () => {
      assert.equal(classifyRefusal(ErrorCode.WrongPassphrase, true), 'fatal');
      assert.equal(classifyRefusal(ErrorCode.UnsupportedVersion, true), 'fatal');
    });
  });
});
