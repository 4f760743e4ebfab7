import assert from 'node:assert/strict';
import { DEFAULT_RELIABILITY_TUNING, type ReliableChannel } from '../../../../src/protocol/reliability';
import { ackOf, recordingChannel } from '../../../support/recording-channel';

describe('reliability RTT estimator', () => {
  describe('RFC 6298 with the ack delay of RFC 9002', () => {
    function sample(channel: ReliableChannel<string>, sentAt: number, ackedAt: number, delayMs = 0) {
      channel.send('sample', 1, 'normal', sentAt);
      const highest = channel.stats.sent;
      channel.receiveAck(ackOf(highest, [], 512, delayMs), ackedAt);
      return channel.stats;
    }

    it('smooths round trips as RFC 6298 says', () => {
      const { channel } = recordingChannel({ minRtoMs: 1, maxRtoMs: 60_000, maxAckDelayMs: 0 });
      let stats = sample(channel, 0, 100);
      assert.deepEqual([stats.srttMs, stats.rttVarianceMs, stats.rtoMs], [100, 50, 300]);
      stats = sample(channel, 100, 300);
      assert.deepEqual([stats.srttMs, stats.rttVarianceMs, stats.rtoMs], [112.5, 62.5, 362.5]);
      stats = sample(channel, 300, 350);
      assert.deepEqual([stats.srttMs, stats.rttVarianceMs, stats.rtoMs], [104.6875, 62.5, 354.6875]);
    });

    it('adds the peer maximum ack delay to the timeout', () => {
      const { channel } = recordingChannel({ minRtoMs: 1, maxAckDelayMs: 10 });
      const stats = sample(channel, 0, 100);
      assert.equal(stats.rtoMs, 100 + 4 * 50 + 10);
    });

    it('uses at least the clock granularity for the variance term', () => {
      const { channel } = recordingChannel({ minRtoMs: 1, maxAckDelayMs: 0, clockGranularityMs: 1 });
      let stats = sample(channel, 0, 0.5);
      for (let index = 0; index < 40; index++) stats = sample(channel, index + 1, index + 1.5);
      assert.ok(Math.abs((stats.srttMs as number) - 0.5) < 1e-9);
      assert.ok(Math.abs(stats.rtoMs - 1.5) < 1e-9);
    });

    it('clamps the timeout to minRtoMs on a fast link and to maxRtoMs on a slow one', () => {
      const fast = recordingChannel();
      assert.equal(sample(fast.channel, 0, 1).rtoMs, DEFAULT_RELIABILITY_TUNING.minRtoMs);
      const slow = recordingChannel();
      assert.equal(sample(slow.channel, 0, 4_000).rtoMs, DEFAULT_RELIABILITY_TUNING.maxRtoMs);
    });

    it('subtracts the ack delay only when the result stays at or above the minimum round trip', () => {
      const { channel } = recordingChannel();
      sample(channel, 0, 50); // min rtt 50
      assert.equal(sample(channel, 50, 110, 8).srttMs, 0.875 * 50 + 0.125 * 52);
      const before = channel.stats.srttMs as number;
      assert.equal(sample(channel, 110, 165, 8).srttMs, 0.875 * before + 0.125 * 55);
    });

    it('reports the path round trip without the ack delay, though every ack was delayed', () => {
      const { channel } = recordingChannel();
      // Lone messages, each acknowledged after the full 20 ms delay: 21 ms measured, 20 of them the peer's.
      let stats = sample(channel, 0, 21, 20);
      for (let at = 100; at < 2_000; at += 100) stats = sample(channel, at, at + 21, 20);
      assert.equal(stats.pathRttMs, 1);
      assert.ok((stats.srttMs as number) >= 21, 'the timers keep the cautious estimate');
    });

    it('caps the ack delay the path round trip leaves out at maxAckDelayMs, and never goes below 0', () => {
      const { channel } = recordingChannel({ maxAckDelayMs: 10 });
      assert.equal(sample(channel, 0, 50, 60_000).pathRttMs, 40);
      const other = recordingChannel();
      assert.equal(sample(other.channel, 0, 5, 20).pathRttMs, 0);
    });

    it('caps the subtracted ack delay at maxAckDelayMs', () => {
      const { channel } = recordingChannel({ maxAckDelayMs: 10 });
      sample(channel, 0, 50);
      assert.equal(sample(channel, 50, 150, 60_000).srttMs, 0.875 * 50 + 0.125 * 90);
    });

    it('takes no round-trip sample from a resent datagram (Karn)', () => {
      const { channel } = recordingChannel();
      channel.send('a', 1, 'normal', 0);
      channel.poll(300);
      channel.receiveAck(ackOf(1), 310);
      assert.equal(channel.stats.srttMs, undefined);
      assert.equal(channel.stats.rtoMs, DEFAULT_RELIABILITY_TUNING.initialRtoMs);
    });
  });
});
