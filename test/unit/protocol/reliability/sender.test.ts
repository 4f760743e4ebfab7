import assert from 'node:assert/strict';
import { MAX_ACK_RANGES } from '../../../../src/protocol/codec';
import { DEFAULT_RELIABILITY_TUNING, ReliableChannel } from '../../../../src/protocol/reliability';
import { ackOf, recordingChannel, sendMany } from '../../../support/recording-channel';

describe('reliability sender', () => {
  describe('sending', () => {
    it('numbers new datagrams from 1, one per item', () => {
      const { channel, transmissions } = recordingChannel();
      sendMany(channel, 3, 0);
      assert.deepEqual(
        transmissions.map((t) => [t.seq, t.retransmission]),
        [
          [1, false],
          [2, false],
          [3, false],
        ],
      );
    });

    it('returns a distinct ticket per item and reports each acknowledged ticket once', () => {
      const { channel, acknowledged } = recordingChannel();
      const tickets = sendMany(channel, 3, 0);
      assert.deepEqual(tickets, [1, 2, 3]);
      channel.receiveAck(ackOf(1), 5);
      channel.receiveAck(ackOf(3), 6);
      channel.receiveAck(ackOf(3), 7);
      assert.deepEqual(acknowledged, [1, 2, 3]);
    });

    it('reports a selectively acked ticket only once the cumulative point passes it', () => {
      const { channel, acknowledged } = recordingChannel();
      sendMany(channel, 3, 0);
      channel.receiveAck(ackOf(0, [[2, 3]]), 5);
      assert.deepEqual(acknowledged, [], 'the peer holds 2 and 3 but has not delivered them');
      assert.deepEqual([channel.stats.inFlight, channel.stats.selectivelyAcked, channel.idle], [1, 2, false]);
      channel.receiveAck(ackOf(3), 6);
      assert.deepEqual(acknowledged, [1, 2, 3]);
      assert.deepEqual([channel.stats.selectivelyAcked, channel.idle], [0, true]);
    });

    it('never resends a selectively acked datagram, yet still lists it as unacknowledged', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      sendMany(channel, 3, 0);
      channel.receiveAck(ackOf(0, [[2, 3]]), 5);
      for (let now = 100; now <= 5000; now += 100) channel.poll(now);
      assert.ok(retransmittedSeqs().length > 0, 'the missing datagram was resent');
      assert.deepEqual([...new Set(retransmittedSeqs())], [1]);
      assert.deepEqual(
        channel.unacknowledged().map((entry) => entry.item),
        ['normal-0', 'normal-1', 'normal-2'],
      );
    });

    it('reports every acknowledged ticket of an ack although the callback throws on the first', () => {
      const reported: number[] = [];
      const channel = new ReliableChannel<string>(
        {
          transmit: () => {},
          transmitAck: () => {},
          deliver: () => {},
          acknowledged: (ticket) => {
            reported.push(ticket);
            if (ticket === 1) throw new Error('listener failed');
          },
        },
        0,
      );
      sendMany(channel, 3, 0);
      assert.throws(() => channel.receiveAck(ackOf(3), 5), /listener failed/);
      assert.deepEqual(reported, [1, 2, 3]);
      channel.receiveAck(ackOf(3), 6);
      assert.deepEqual(reported, [1, 2, 3], 'a ticket is reported once');
    });

    it('keeps the seq of a datagram when it is resent', () => {
      const { channel, transmissions } = recordingChannel();
      channel.send('hello', 5, 'normal', 0);
      channel.poll(300);
      assert.deepEqual(transmissions, [
        { seq: 1, item: 'hello', retransmission: false },
        { seq: 1, item: 'hello', retransmission: true },
        { seq: 1, item: 'hello', retransmission: true },
      ]);
    });

    it('never has more in flight than the send window', () => {
      const { channel, newSeqs } = recordingChannel({ sendWindowPackets: 16 });
      sendMany(channel, 100, 0);
      assert.equal(newSeqs().length, 16);
      assert.equal(channel.stats.inFlight, 16);
      assert.equal(channel.stats.queued, 84);
      channel.receiveAck(ackOf(8, [], 512), 5);
      assert.equal(newSeqs().length, 24);
      assert.equal(channel.stats.inFlight, 16);
    });

    it('never has more in flight than the window the peer advertised', () => {
      const { channel, newSeqs } = recordingChannel();
      channel.send('first', 1, 'normal', 0);
      channel.receiveAck(ackOf(1, [], 4), 5);
      sendMany(channel, 10, 5);
      assert.equal(channel.stats.inFlight, 4);
      assert.deepEqual(newSeqs(), [1, 2, 3, 4, 5]);
    });

    it('is idle only when nothing is queued or unacknowledged', () => {
      const { channel } = recordingChannel({ sendWindowPackets: 1 });
      sendMany(channel, 2, 0);
      assert.equal(channel.idle, false);
      channel.receiveAck(ackOf(1), 5);
      assert.equal(channel.idle, false);
      channel.receiveAck(ackOf(2), 6);
      assert.equal(channel.idle, true);
      assert.equal(channel.nextWakeup(), undefined);
    });
  });

  describe('sequence exhaustion', () => {
    it('turns exhausted exactly when the high-water seq is assigned, and refuses every send after it', () => {
      const { channel, newSeqs } = recordingChannel({ sequenceHighWater: 3 });
      assert.deepEqual(sendMany(channel, 2, 0), [1, 2]);
      assert.equal(channel.exhausted, false, 'seq 2 assigned, one number left');
      assert.equal(channel.send('last', 1, 'normal', 0), 3);
      assert.equal(channel.exhausted, true, 'seq 3 assigned');
      for (const priority of ['urgent', 'normal', 'bulk'] as const) assert.equal(channel.send(priority, 1, priority, 1), undefined);
      assert.deepEqual(newSeqs(), [1, 2, 3]);
      assert.deepEqual(
        channel.unacknowledged().map((entry) => entry.item),
        ['normal-0', 'normal-1', 'last'],
        'what the edge re-sends on its new session',
      );
      channel.receiveAck(ackOf(3), 5);
      assert.equal(channel.exhausted, true, 'acknowledgements give no numbers back');
      assert.equal(channel.send('after the ack', 1, 'urgent', 6), undefined);
      assert.equal(channel.idle, true);
    });

    it('becomes exhausted at the sequence high-water mark, refusing new items but sending those already queued', () => {
      const { channel, newSeqs } = recordingChannel({ sequenceHighWater: 3, sendWindowPackets: 2 });
      assert.deepEqual(sendMany(channel, 4, 0), [1, 2, 3, 4]);
      assert.equal(channel.exhausted, false);
      channel.receiveAck(ackOf(2), 5);
      assert.equal(channel.exhausted, true);
      assert.equal(channel.send('late', 1, 'urgent', 5), undefined);
      assert.deepEqual(newSeqs(), [1, 2, 3, 4]);
    });
  });

  describe('zero window', () => {
    it('probes a shut window by resending the oldest datagram alone on the retransmission timer', () => {
      const { channel, transmissions, retransmittedSeqs } = recordingChannel();
      sendMany(channel, 3, 0);
      channel.receiveAck(ackOf(1, [], 0), 10);
      sendMany(channel, 5, 10);
      assert.equal(transmissions.length, 3, 'nothing new enters a shut window');
      const probeAt = channel.nextWakeup();
      assert.equal(probeAt, 10 + DEFAULT_RELIABILITY_TUNING.minRtoMs);
      channel.poll(probeAt as number);
      assert.deepEqual(retransmittedSeqs(), [2], 'one probe, not a burst');
      channel.receiveAck(ackOf(3, [], 8), 120);
      assert.equal(transmissions.length, 3 + 1 + 5, 'the reopened window takes the queue');
    });

    it('probes a shut window with one new item when nothing is in flight, and recovers', () => {
      const { channel, transmissions, newSeqs } = recordingChannel();
      sendMany(channel, 2, 0);
      channel.receiveAck(ackOf(2, [], 0), 10);
      sendMany(channel, 4, 10);
      assert.equal(transmissions.length, 2);
      assert.equal(channel.idle, false);
      const probeAt = channel.nextWakeup();
      assert.ok(probeAt !== undefined, 'a blocked queue keeps a timer running');
      channel.poll(probeAt - 1);
      assert.equal(transmissions.length, 2, 'an early poll does nothing');
      channel.poll(probeAt);
      assert.deepEqual(newSeqs(), [1, 2, 3]);
      channel.receiveAck(ackOf(3, [], 512), probeAt + 5);
      assert.deepEqual(newSeqs(), [1, 2, 3, 4, 5, 6]);
      assert.equal(channel.stats.backoff, 0);
    });

    it('keeps probing a shut window with backoff instead of deadlocking', () => {
      const { channel, transmissions } = recordingChannel();
      channel.send('a', 1, 'normal', 0);
      channel.receiveAck(ackOf(1, [], 0), 10);
      channel.send('b', 1, 'normal', 10);
      let now = 10;
      const gaps: number[] = [];
      for (let probe = 0; probe < 4; probe++) {
        const at = channel.nextWakeup() as number;
        gaps.push(at - now);
        now = at;
        channel.poll(now);
      }
      assert.deepEqual(gaps, [100, 200, 400, 800]);
      assert.deepEqual(
        transmissions.map((t) => [t.seq, t.retransmission]),
        [
          [1, false],
          [2, false],
          [2, true],
          [2, true],
          [2, true],
        ],
      );
    });
  });

  describe('acknowledgements received', () => {
    it('ignores an ack whose cumulative point was never sent', () => {
      const { channel, acknowledged } = recordingChannel();
      sendMany(channel, 2, 0);
      channel.receiveAck(ackOf(5), 5);
      assert.deepEqual(acknowledged, []);
      assert.equal(channel.stats.inFlight, 2);
      assert.equal(channel.stats.acksIgnored, 1);
    });

    it('ignores an ack whose range reaches beyond the highest seq sent', () => {
      const { channel, acknowledged } = recordingChannel();
      sendMany(channel, 3, 0);
      channel.receiveAck(ackOf(0, [[2, 3], [5, 0xffff_ffff]], 0), 5);
      assert.deepEqual(acknowledged, []);
      assert.equal(channel.stats.peerWindow, DEFAULT_RELIABILITY_TUNING.sendWindowPackets, 'its window too');
    });

    it('ignores malformed acks', () => {
      const { channel, acknowledged } = recordingChannel();
      sendMany(channel, 3, 0);
      channel.receiveAck({ cumulative: Number.NaN, window: 5, delayMs: 0, ranges: [] }, 1);
      channel.receiveAck({ cumulative: 1.5, window: 5, delayMs: 0, ranges: [] }, 1);
      channel.receiveAck({ cumulative: 0, window: Number.POSITIVE_INFINITY, delayMs: 0, ranges: [] }, 1);
      channel.receiveAck(ackOf(0, [[3, 2]]), 1);
      channel.receiveAck(ackOf(0, [[0, 2]]), 1);
      assert.deepEqual(acknowledged, []);
      assert.equal(channel.stats.acksIgnored, 5);
    });

    it('acknowledges each item once under overlapping, unordered garbage ranges', () => {
      const { channel, acknowledged } = recordingChannel();
      sendMany(channel, 10, 0);
      channel.receiveAck(
        ackOf(2, [
          [5, 8],
          [1, 6],
          [7, 7],
          [4, 9],
        ]),
        5,
      );
      assert.deepEqual(acknowledged, [1, 2], 'delivered: the cumulative point');
      assert.deepEqual([channel.stats.inFlight, channel.stats.selectivelyAcked], [1, 7]);
      channel.receiveAck(ackOf(10, [[5, 8]]), 6);
      channel.receiveAck(ackOf(10), 7);
      assert.deepEqual(acknowledged, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual([channel.stats.inFlight, channel.stats.selectivelyAcked], [0, 0]);
    });

    it('reads no more than MAX_ACK_RANGES ranges from one ack', () => {
      const span = 2 * MAX_ACK_RANGES + 20;
      const { channel, acknowledged } = recordingChannel({ sendWindowPackets: span });
      sendMany(channel, span, 0);
      const ranges: [number, number][] = [];
      for (let seq = 2; seq <= 2 * MAX_ACK_RANGES + 16; seq += 2) ranges.push([seq, seq]);
      channel.receiveAck(ackOf(0, ranges), 5);
      assert.equal(channel.stats.selectivelyAcked, MAX_ACK_RANGES);
      assert.deepEqual(acknowledged, []);
    });

    it('is unharmed by a stale ack arriving after a newer one', () => {
      const { channel, acknowledged, newSeqs } = recordingChannel();
      sendMany(channel, 4, 0);
      channel.receiveAck(ackOf(3, [], 300), 10);
      channel.receiveAck(ackOf(1, [], 0), 11);
      assert.deepEqual(acknowledged, [1, 2, 3]);
      assert.equal(channel.stats.peerWindow, 300, 'the stale zero window is not believed');
      channel.send('more', 1, 'normal', 12);
      assert.deepEqual(newSeqs(), [1, 2, 3, 4, 5]);
    });
  });
});
