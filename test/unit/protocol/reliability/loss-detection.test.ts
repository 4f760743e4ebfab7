import assert from 'node:assert/strict';
import { MAX_ACK_RANGES } from '../../../../src/protocol/codec';
import { DEFAULT_RELIABILITY_TUNING } from '../../../../src/protocol/reliability';
import { ackOf, recordingChannel, sendMany } from '../../../support/recording-channel';

describe('reliability loss detection', () => {
  describe('by packet and time threshold (RFC 9002 §6.1)', () => {
    it('declares a datagram lost once one sent 3 later is acknowledged, not 2', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      sendMany(channel, 5, 0);
      channel.receiveAck(ackOf(0, [[2, 3]]), 10);
      assert.deepEqual(retransmittedSeqs(), []);
      channel.receiveAck(ackOf(0, [[2, 4]]), 10);
      assert.deepEqual(retransmittedSeqs(), [1]);
    });

    it('declares a datagram lost 9/8 of a round trip after it was sent once a later one is acknowledged', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('probe', 1, 'normal', 0);
      channel.receiveAck(ackOf(1), 100); // srtt 100
      sendMany(channel, 2, 100); // seqs 2 and 3
      channel.receiveAck(ackOf(1, [[3, 3]]), 150); // latest rtt 50, srtt 93.75
      const lossDelay = (9 / 8) * 93.75;
      assert.equal(channel.nextWakeup(), 100 + lossDelay);
      channel.poll(100 + lossDelay - 0.01);
      assert.deepEqual(retransmittedSeqs(), []);
      channel.poll(100 + lossDelay);
      assert.deepEqual(retransmittedSeqs(), [2]);
    });

    it('resends only the missing datagrams', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      sendMany(channel, 20, 0);
      channel.receiveAck(
        ackOf(0, [
          [2, 9],
          [11, 20],
        ]),
        10,
      );
      assert.deepEqual(retransmittedSeqs(), [1, 10]);
    });

    it('does not resend a datagram again when the same selective ack repeats', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      sendMany(channel, 20, 0);
      const ack = ackOf(0, [[2, 20]]);
      for (let time = 10; time < 100; time += 5) channel.receiveAck(ack, time);
      assert.deepEqual(retransmittedSeqs(), [1]);
    });

    it('resends again once datagrams sent after the retransmission are acknowledged without it', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      sendMany(channel, 5, 0);
      channel.receiveAck(ackOf(0, [[2, 5]]), 10);
      assert.deepEqual(retransmittedSeqs(), [1]);
      sendMany(channel, 3, 12); // seqs 6-8, transmitted after the retransmission
      channel.receiveAck(ackOf(0, [[2, 8]]), 22);
      assert.deepEqual(retransmittedSeqs(), [1, 1]);
    });
  });

  describe('after retransmissions and timer probes', () => {
    it('does not count a late first copy of a resent datagram as evidence against datagrams sent before the resend', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      sendMany(channel, 10, 0);
      channel.receiveAck(ackOf(0, [[2, 5]]), 10);
      assert.deepEqual(retransmittedSeqs(), [1]);
      // The ack covering seq 1 may be for its delayed first copy, so 6-10 (sent before the resend) are not lost.
      channel.receiveAck(ackOf(5), 12);
      assert.deepEqual(retransmittedSeqs(), [1]);
      const { srttMs = 0, rttVarianceMs = 0, rtoMs } = channel.stats;
      const tuning = DEFAULT_RELIABILITY_TUNING;
      const probe = Math.max(srttMs + Math.max(tuning.clockGranularityMs, 4 * rttVarianceMs) + tuning.maxAckDelayMs, tuning.minProbeTimeoutMs);
      assert.equal(channel.nextWakeup(), 12 + Math.min(rtoMs, probe), 'only the retransmission timer (its first, probing expiry) is pending');
    });

    it('lets the ack of a timer probe reveal the other lost retransmissions at once, however soon it comes', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('first', 1, 'normal', 0);
      channel.receiveAck(ackOf(1, [], 512, 10), 12); // a delayed ack: min rtt 12, though the path is faster
      sendMany(channel, 10, 12); // seqs 2-11
      channel.receiveAck(
        ackOf(1, [
          [3, 5],
          [7, 8],
          [10, 11],
        ]),
        15,
      );
      channel.poll(channel.nextWakeup() as number); // 9 is lost by time, 2 and 6 already were by count
      assert.deepEqual(retransmittedSeqs(), [2, 6, 9]);
      // Those retransmissions are lost too: the tail has nothing left to reveal it but the timer.
      const probeAt = channel.nextWakeup() as number;
      channel.poll(probeAt);
      assert.deepEqual(retransmittedSeqs(), [2, 6, 9, 2, 9], 'the timer resends the oldest and the newest');
      // The probes fill holes, so their ack is immediate: 2 ms, less than any round trip measured so far.
      channel.receiveAck(ackOf(5, [[7, 11]]), probeAt + 2);
      assert.deepEqual(retransmittedSeqs(), [2, 6, 9, 2, 9, 6], '6 goes again now, not a timeout later');
    });

    it('does not take a late ack from a stalled receiver after a timer probe as evidence against what it has not reached', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('first', 1, 'normal', 0);
      channel.receiveAck(ackOf(1), 2); // srtt 2: the timer runs at its 100 ms floor
      sendMany(channel, 20, 10); // seqs 2-21
      channel.poll(110); // the receiver has stalled: a spurious timeout resends 2 and 21
      assert.deepEqual(retransmittedSeqs(), [2, 21]);
      // The stall ends: acks for the first copies come in as the receiver works through its backlog.
      channel.receiveAck(ackOf(9), 150);
      assert.deepEqual(retransmittedSeqs(), [2, 21], '10-20 are above what it reached, and not overdue');
      channel.receiveAck(ackOf(21), 152);
      assert.deepEqual(retransmittedSeqs(), [2, 21]);
      assert.equal(channel.idle, true);
    });

    it('backs off resending what a far-behind receiver has not reported, instead of its window at each timeout', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('first', 1, 'normal', 0);
      channel.receiveAck(ackOf(1), 2); // srtt 2: the timeout runs at its 100 ms floor
      sendMany(channel, 20, 10); // seqs 2-21
      channel.poll(110); // a timeout resends 2 and 3
      // The receiver works through its backlog of first copies, two every 60 ms, while the sender's timer runs.
      channel.receiveAck(ackOf(3), 200);
      for (let now = 200, reached = 3; now <= 720; now += 5) {
        channel.poll(now);
        if (now % 60 === 0 && reached < 21) channel.receiveAck(ackOf((reached += 2)), now);
      }
      assert.equal(channel.idle, true);
      const resent = new Map<number, number>();
      for (const seq of retransmittedSeqs()) resent.set(seq, (resent.get(seq) ?? 0) + 1);
      // Declared lost after 100, then 200, then 400 ms: three times at most in these 720 ms (6 times without).
      assert.ok(Math.max(...resent.values()) <= 3, `resent up to ${Math.max(...resent.values())} times: ${JSON.stringify([...resent])}`);
    });

    it('waits a single timeout again once an ack yields a round-trip sample', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('first', 1, 'normal', 0);
      channel.receiveAck(ackOf(1), 2);
      sendMany(channel, 4, 10); // seqs 2-5
      channel.poll(110); // resends 2 and 5
      channel.receiveAck(ackOf(2), 200); // 3 and 4 declared lost (5 was just probed): the next such wait is doubled
      assert.deepEqual(retransmittedSeqs(), [2, 5, 3, 4]);
      channel.receiveAck(ackOf(5), 202);
      channel.send('fresh', 1, 'normal', 210); // seq 6, sent once: its ack is a sample
      channel.receiveAck(ackOf(6), 212);
      sendMany(channel, 4, 220); // seqs 7-10
      channel.poll(320); // resends 7 and 10
      channel.receiveAck(ackOf(7), 340); // 8 and 9 out 120 ms: past one timeout, not two
      assert.deepEqual(retransmittedSeqs().slice(4), [7, 10, 8, 9]);
    });

    it('declares a whole window that went dark lost once the ack of a timer probe shows the link is back', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('first', 1, 'normal', 0);
      channel.receiveAck(ackOf(1), 10); // srtt 10: the timer runs at its 100 ms floor
      sendMany(channel, 10, 10); // seqs 2-11, all lost
      channel.poll(110);
      assert.deepEqual(retransmittedSeqs(), [2, 11]);
      // Only the probe of 2 arrives. 3-10 are above what the receiver reports, but have been out for a whole
      // timeout: no more waiting. 11 was probed just now and waits.
      channel.receiveAck(ackOf(2), 112);
      assert.deepEqual(retransmittedSeqs(), [2, 11, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('declares nothing lost above the last range of an ack cut to MAX_ACK_RANGES ranges', () => {
      const count = 2 * MAX_ACK_RANGES + 40;
      const { channel, retransmittedSeqs } = recordingChannel({ sendWindowPackets: count + 1 });
      channel.send('first', 1, 'normal', 0);
      channel.receiveAck(ackOf(1), 10); // min rtt 10, rto 100
      sendMany(channel, count, 10); // seqs 2 to count + 1
      channel.poll(110); // the timer resends seqs 2 and 3: now the latest transmissions
      const ranges: [number, number][] = [];
      for (let seq = 5; ranges.length < MAX_ACK_RANGES; seq += 2) ranges.push([seq, seq]); // 5, 7, ...
      const lastDescribed = (ranges.at(-1) as [number, number])[1];
      channel.receiveAck(ackOf(3, ranges), 125); // for the timer's copies: it came a round trip after them
      const lost = retransmittedSeqs().slice(2);
      const expected: number[] = [];
      for (let seq = 4; seq < lastDescribed; seq += 2) expected.push(seq);
      assert.deepEqual(lost, expected, 'the holes the ack shows; the seqs above its last range are simply not described');
    });
  });
});
