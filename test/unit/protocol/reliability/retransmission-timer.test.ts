import assert from 'node:assert/strict';
import { DEFAULT_RELIABILITY_TUNING } from '../../../../src/protocol/reliability';
import { ackOf, recordingChannel, sendMany } from '../../../support/recording-channel';

describe('reliability retransmission timer', () => {
  describe('expiry and backoff', () => {
    it('probes a lost tail after a round trip and the ack delay, not after the full timeout', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('a', 1, 'normal', 0);
      channel.receiveAck(ackOf(1), 2); // srtt 2, rttvar 1: rto floored at minRtoMs
      sendMany(channel, 3, 10); // seqs 2-4: the tail, nothing acknowledges them
      const tuning = DEFAULT_RELIABILITY_TUNING;
      const probe = Math.max(2 + 4 * 1 + tuning.maxAckDelayMs, tuning.minProbeTimeoutMs);
      assert.ok(probe < channel.stats.rtoMs);
      assert.equal(channel.nextWakeup(), 10 + probe);
      channel.poll(10 + probe);
      assert.deepEqual(retransmittedSeqs(), [2, 4], 'the oldest and the newest, as on a timeout');
      assert.equal(channel.nextWakeup(), 10 + probe + 2 * channel.stats.rtoMs, 'later expiries back off from the full timeout');
    });

    it('resends the oldest and the newest datagram on expiry, not the whole window', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      sendMany(channel, 10, 0);
      assert.equal(channel.nextWakeup(), 300);
      channel.poll(300);
      assert.deepEqual(retransmittedSeqs(), [1, 10]);
    });

    it('recovers a lost tail in one probe round: the ack of the newest probe shows every hole below it', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('a', 1, 'normal', 0);
      channel.receiveAck(ackOf(1), 2); // srtt 2: the probe comes long before the 100 ms timeout
      sendMany(channel, 10, 10); // seqs 2-11, all lost
      const probeAt = channel.nextWakeup() as number;
      channel.poll(probeAt);
      assert.deepEqual(retransmittedSeqs(), [2, 11]);
      // Both probes arrive; 3-10 have been out less than a timeout, yet the ack shows the receiver skipped them.
      channel.receiveAck(ackOf(2, [[11, 11]]), probeAt + 2);
      assert.ok(probeAt + 2 < 10 + channel.stats.rtoMs);
      assert.deepEqual(retransmittedSeqs(), [2, 11, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('sends the oldest twice when it is also the newest, so one lost probe does not double the wait', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('a', 1, 'normal', 0);
      channel.poll(300);
      assert.deepEqual(retransmittedSeqs(), [1, 1]);
      assert.equal(channel.stats.retransmitted, 2);
      assert.equal(channel.stats.timeouts, 1);
    });

    it('doubles the timer on consecutive timeouts up to maxRtoMs and resets it on progress', () => {
      const { channel } = recordingChannel();
      channel.send('a', 1, 'normal', 0);
      let now = 0;
      const gaps: number[] = [];
      for (let timeout = 0; timeout < 7; timeout++) {
        const at = channel.nextWakeup() as number;
        gaps.push(at - now);
        now = at;
        channel.poll(now);
      }
      assert.deepEqual(gaps, [300, 600, 1_200, 2_400, 4_800, 5_000, 5_000]);
      assert.equal(channel.stats.timeouts, 7);
      channel.receiveAck(ackOf(1), now + 1);
      assert.equal(channel.stats.backoff, 0);
      channel.send('b', 1, 'normal', now + 1);
      assert.equal(channel.nextWakeup(), now + 1 + 300);
    });

    it('restarts the timer when an ack brings progress', () => {
      const { channel } = recordingChannel();
      sendMany(channel, 3, 0);
      channel.receiveAck(ackOf(1), 50); // srtt 50, rttvar 25: rto 50 + 100 + maxAckDelayMs (20)
      assert.equal(channel.stats.rtoMs, 170);
      assert.equal(channel.nextWakeup(), 50 + 170);
    });

    it('does nothing harmful when polled early', () => {
      const { channel, transmissions } = recordingChannel();
      channel.send('a', 1, 'normal', 0);
      for (const time of [0, 1, 50, 299.9]) channel.poll(time);
      assert.equal(transmissions.length, 1);
      assert.equal(channel.nextWakeup(), 300);
    });
  });
});
