import assert from 'node:assert/strict';
import { MAX_ACK_RANGES, controlHeader, decodePacket, encodeControl } from '../../../src/protocol/codec';
import {
  DEFAULT_RELIABILITY_TUNING,
  MAX_SEQUENCE,
  ReliableChannel,
  type Priority,
  type ReliabilityTuning,
} from '../../../src/protocol/reliability';
import { PacketType, type AckBody, type AckRange } from '../../../src/protocol/types';
import { mulberry32 } from '../../support/lossy-link';

interface Transmission {
  seq: number;
  item: string;
  retransmission: boolean;
}

/** A channel whose callbacks only record what it did. Time is whatever the test passes in. */
function recordingChannel(tuning: Partial<ReliabilityTuning> = {}, now = 0) {
  const transmissions: Transmission[] = [];
  const acks: AckBody[] = [];
  const delivered: string[] = [];
  const acknowledged: number[] = [];
  const channel = new ReliableChannel<string>(
    {
      transmit: (seq, item, retransmission) => transmissions.push({ seq, item, retransmission }),
      transmitAck: (ack) => acks.push(ack),
      deliver: (item) => delivered.push(item),
      acknowledged: (ticket) => acknowledged.push(ticket),
      tuning,
    },
    now,
  );
  const retransmittedSeqs = () => transmissions.filter((t) => t.retransmission).map((t) => t.seq);
  const newSeqs = () => transmissions.filter((t) => !t.retransmission).map((t) => t.seq);
  return { channel, transmissions, acks, delivered, acknowledged, retransmittedSeqs, newSeqs };
}

function ackOf(cumulative: number, ranges: [number, number][] = [], window = 512, delayMs = 0): AckBody {
  return { cumulative, window, delayMs, ranges: ranges.map(([first, last]) => ({ first, last })) };
}

function sendMany(channel: ReliableChannel<string>, count: number, now: number, priority: Priority = 'normal') {
  const tickets: (number | undefined)[] = [];
  for (let index = 0; index < count; index++) tickets.push(channel.send(`${priority}-${index}`, 100, priority, now));
  return tickets;
}

function assertValidRanges(ack: AckBody): void {
  assert.ok(ack.ranges.length <= MAX_ACK_RANGES, `${ack.ranges.length} ranges`);
  let previousLast = ack.cumulative;
  for (const range of ack.ranges) {
    assert.ok(range.first > previousLast + 1, `range ${range.first}-${range.last} after ${previousLast}`);
    assert.ok(range.last >= range.first);
    previousLast = range.last;
  }
}

function wireRoundTrip(body: AckBody): AckBody {
  const bytes = encodeControl({ ...controlHeader(PacketType.Ack, 0), body });
  const decoded = decodePacket(bytes);
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
  assert.equal(decoded.value.type, PacketType.Ack);
  return (decoded.value as { body: AckBody }).body;
}

describe('ReliableChannel', () => {
  describe('construction', () => {
    it('exports defaults that every channel starts from', () => {
      const { channel } = recordingChannel();
      assert.deepEqual(channel.tuning, DEFAULT_RELIABILITY_TUNING);
      assert.equal(channel.stats.rtoMs, DEFAULT_RELIABILITY_TUNING.initialRtoMs);
      assert.equal(channel.stats.srttMs, undefined);
    });

    it('rejects tuning that cannot work', () => {
      assert.throws(() => recordingChannel({ sendWindowPackets: 0 }), RangeError);
      assert.throws(() => recordingChannel({ minRtoMs: 500, maxRtoMs: 100 }), RangeError);
      assert.throws(() => recordingChannel({ receiveWindowPackets: 70_000 }), RangeError);
      assert.throws(() => recordingChannel({ ackEveryPackets: 1.5 }), RangeError);
    });

    it('needs no wakeup and is idle before anything happens', () => {
      const { channel } = recordingChannel();
      assert.equal(channel.nextWakeup(), undefined);
      assert.equal(channel.idle, true);
      channel.poll(1_000);
      assert.equal(channel.nextWakeup(), undefined);
    });
  });

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
      channel.receiveAck(ackOf(0, [[2, 2]]), 5);
      channel.receiveAck(ackOf(3), 6);
      channel.receiveAck(ackOf(3), 7);
      assert.deepEqual(acknowledged, [2, 1, 3]);
    });

    it('keeps the seq of a datagram when it is resent', () => {
      const { channel, transmissions } = recordingChannel();
      channel.send('hello', 5, 'normal', 0);
      channel.poll(300);
      assert.deepEqual(transmissions, [
        { seq: 1, item: 'hello', retransmission: false },
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

    it('lets urgent and normal items enter the window ahead of bulk items queued before them', () => {
      const { channel, transmissions } = recordingChannel();
      sendMany(channel, 300, 0, 'bulk');
      channel.send('text', 10, 'normal', 1);
      channel.send('leave', 10, 'urgent', 2);
      assert.equal(transmissions.length, 256);
      channel.receiveAck(ackOf(3), 10);
      assert.deepEqual(
        transmissions.slice(256).map((t) => [t.seq, t.item]),
        [
          [257, 'leave'],
          [258, 'text'],
          [259, 'bulk-256'],
        ],
      );
    });

    it('keeps each priority class in the order its items were given', () => {
      const { channel, transmissions } = recordingChannel({ sendWindowPackets: 1 });
      channel.send('b1', 1, 'bulk', 0);
      for (const item of ['b2', 'n1', 'u1', 'b3', 'n2', 'u2']) {
        channel.send(item, 1, item.startsWith('u') ? 'urgent' : item.startsWith('n') ? 'normal' : 'bulk', 0);
      }
      for (let seq = 1; seq <= 7; seq++) channel.receiveAck(ackOf(seq), seq);
      assert.deepEqual(
        transmissions.map((t) => t.item),
        ['b1', 'u1', 'u2', 'n1', 'n2', 'b2', 'b3'],
      );
    });

    it('refuses items beyond maxQueuedBytes and takes them again once the queue drains', () => {
      const { channel } = recordingChannel({ maxQueuedBytes: 1_000, sendWindowPackets: 1 });
      assert.equal(typeof channel.send('in flight', 100, 'bulk', 0), 'number');
      for (let index = 0; index < 10; index++) assert.notEqual(channel.send(`q${index}`, 100, 'bulk', 0), undefined);
      assert.equal(channel.stats.queuedBytes, 1_000);
      assert.equal(channel.send('one byte too many', 1, 'urgent', 0), undefined);
      channel.receiveAck(ackOf(1), 5);
      assert.equal(channel.stats.queuedBytes, 900);
      assert.notEqual(channel.send('fits again', 100, 'bulk', 5), undefined);
    });

    it('refuses items beyond maxQueuedItems however small they are', () => {
      const { channel } = recordingChannel({ maxQueuedItems: 3, sendWindowPackets: 1 });
      const tickets = sendMany(channel, 5, 0);
      assert.deepEqual(tickets, [1, 2, 3, 4, undefined]);
    });

    it('rejects a negative or non-numeric size', () => {
      const { channel } = recordingChannel();
      assert.throws(() => channel.send('x', -1, 'normal', 0), RangeError);
      assert.throws(() => channel.send('x', Number.NaN, 'normal', 0), RangeError);
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

    it('lists what is unacknowledged, in flight first and then queued in the order given, with tickets', () => {
      const { channel } = recordingChannel({ sendWindowPackets: 2 });
      channel.send('a', 1, 'normal', 0);
      channel.send('b', 1, 'normal', 0);
      channel.send('c', 1, 'bulk', 0);
      channel.send('d', 1, 'urgent', 0);
      channel.send('e', 1, 'normal', 0);
      channel.receiveAck(ackOf(0, [[2, 2]]), 5); // b arrived; d (urgent) takes its place in the window
      assert.deepEqual(channel.unacknowledged(), [
        { ticket: 1, item: 'a', priority: 'normal' },
        { ticket: 4, item: 'd', priority: 'urgent' },
        { ticket: 3, item: 'c', priority: 'bulk' },
        { ticket: 5, item: 'e', priority: 'normal' },
      ]);
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
      assert.deepEqual(acknowledged, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(channel.stats.inFlight, 1);
    });

    it('reads no more than MAX_ACK_RANGES ranges from one ack', () => {
      const span = 2 * MAX_ACK_RANGES + 20;
      const { channel, acknowledged } = recordingChannel({ sendWindowPackets: span });
      sendMany(channel, span, 0);
      const ranges: [number, number][] = [];
      for (let seq = 2; seq <= 2 * MAX_ACK_RANGES + 16; seq += 2) ranges.push([seq, seq]);
      channel.receiveAck(ackOf(0, ranges), 5);
      assert.equal(acknowledged.length, MAX_ACK_RANGES);
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

  describe('loss detection', () => {
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
      assert.deepEqual(retransmittedSeqs(), [2, 6, 9, 2, 6], 'the timer resends the oldest two');
      // The probes fill holes, so their ack is immediate: 2 ms, less than any round trip measured so far.
      channel.receiveAck(ackOf(8, [[10, 11]]), probeAt + 2);
      assert.deepEqual(retransmittedSeqs(), [2, 6, 9, 2, 6, 9], '9 goes again now, not a timeout later');
    });

    it('does not take a late ack from a stalled receiver after a timer probe as evidence against what it has not reached', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('first', 1, 'normal', 0);
      channel.receiveAck(ackOf(1), 2); // srtt 2: the timer runs at its 100 ms floor
      sendMany(channel, 20, 10); // seqs 2-21
      channel.poll(110); // the receiver has stalled: a spurious timeout resends 2 and 3
      assert.deepEqual(retransmittedSeqs(), [2, 3]);
      // The stall ends: acks for the first copies come in as the receiver works through its backlog.
      channel.receiveAck(ackOf(9), 150);
      assert.deepEqual(retransmittedSeqs(), [2, 3], '10-21 are above what it reached, and not overdue');
      channel.receiveAck(ackOf(21), 152);
      assert.deepEqual(retransmittedSeqs(), [2, 3]);
      assert.equal(channel.idle, true);
    });

    it('declares a whole window that went dark lost once the ack of a timer probe shows the link is back', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      channel.send('first', 1, 'normal', 0);
      channel.receiveAck(ackOf(1), 10); // srtt 10: the timer runs at its 100 ms floor
      sendMany(channel, 10, 10); // seqs 2-11, all lost
      channel.poll(110);
      assert.deepEqual(retransmittedSeqs(), [2, 3]);
      // 4-11 are above what the receiver reports, but have been out for a whole timeout: no more waiting.
      channel.receiveAck(ackOf(3), 112);
      assert.deepEqual(retransmittedSeqs(), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
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

  describe('retransmission timer', () => {
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
      assert.deepEqual(retransmittedSeqs(), [2, 3], 'the oldest two, as on a timeout');
      assert.equal(channel.nextWakeup(), 10 + probe + 2 * channel.stats.rtoMs, 'later expiries back off from the full timeout');
    });

    /** Sends one item at `sentAt`, has it acknowledged at `ackedAt`, and returns the stats. */
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

    it('resends the oldest two datagrams on expiry, not the whole window', () => {
      const { channel, retransmittedSeqs } = recordingChannel();
      sendMany(channel, 10, 0);
      assert.equal(channel.nextWakeup(), 300);
      channel.poll(300);
      assert.deepEqual(retransmittedSeqs(), [1, 2]);
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

    it('treats a clock that steps back as standing still', () => {
      const { channel, transmissions } = recordingChannel();
      channel.send('a', 1, 'normal', 100);
      channel.poll(50);
      assert.equal(channel.nextWakeup(), 400);
      assert.equal(transmissions.length, 1);
    });
  });

  describe('receiving', () => {
    it('delivers in seq order, holding datagrams that arrive early', () => {
      const { channel, delivered } = recordingChannel();
      channel.receiveData(2, 'two', 0);
      channel.receiveData(3, 'three', 0);
      assert.deepEqual(delivered, []);
      assert.equal(channel.stats.buffered, 2);
      channel.receiveData(1, 'one', 1);
      assert.deepEqual(delivered, ['one', 'two', 'three']);
      assert.equal(channel.stats.buffered, 0);
      assert.equal(channel.stats.delivered, 3);
    });

    it('drops a duplicate, counts it, and acknowledges it again at once', () => {
      const { channel, delivered, acks } = recordingChannel();
      channel.receiveData(1, 'one', 0);
      assert.equal(acks.length, 0, 'the first copy waits for a delayed ack');
      channel.receiveData(1, 'one', 1);
      assert.deepEqual(delivered, ['one']);
      assert.equal(channel.stats.duplicatesDropped, 1);
      assert.deepEqual(acks, [ackOf(1, [], 512, 1)]);
      channel.receiveData(3, 'three', 2);
      channel.receiveData(3, 'three', 3);
      assert.equal(channel.stats.duplicatesDropped, 2);
      assert.deepEqual(acks.at(-1), ackOf(1, [[3, 3]], 511, 0));
    });

    it('ignores seq 0 and numbers that are not u32 sequence numbers', () => {
      const { channel, delivered, acks } = recordingChannel();
      for (const seq of [0, -1, 1.5, Number.NaN, MAX_SEQUENCE + 1]) channel.receiveData(seq, 'bad', 0);
      assert.deepEqual(delivered, []);
      assert.deepEqual(acks, []);
      assert.equal(channel.nextWakeup(), undefined);
    });

    it('drops a datagram beyond the receive window without acknowledging it', () => {
      const { channel, acks } = recordingChannel({ receiveWindowPackets: 8 });
      channel.receiveData(9, 'too far', 0);
      assert.deepEqual(acks, []);
      assert.equal(channel.stats.outOfWindowDropped, 1);
      assert.equal(channel.stats.buffered, 0);
      channel.receiveData(8, 'just fits', 0);
      assert.deepEqual(acks, [ackOf(0, [[8, 8]], 7)]);
    });

    it('advertises its window minus what it holds out of order', () => {
      const { channel, acks } = recordingChannel();
      channel.receiveData(3, 'c', 0);
      channel.receiveData(5, 'e', 0);
      assert.equal(acks.at(-1)?.window, 512 - 2);
    });

    it('keeps its buffer within the window while a hostile peer sends seqs far ahead', () => {
      const { channel, acks } = recordingChannel({ receiveWindowPackets: 64 });
      const random = mulberry32(7);
      for (let index = 0; index < 20_000; index++) {
        const seq = random() < 0.5 ? 1 + Math.floor(random() * 0xffff_ffff) : 2 + Math.floor(random() * 80);
        channel.receiveData(seq, 'x', index);
        assert.ok(channel.stats.buffered < 64);
      }
      for (const ack of acks) {
        assertValidRanges(ack);
        assert.ok(ack.window >= 1 && ack.window <= 64);
      }
    });
  });

  describe('acknowledgements sent', () => {
    it('holds the ack until ackEveryPackets in-order datagrams have arrived', () => {
      const { channel, acks } = recordingChannel({ ackEveryPackets: 8 });
      for (let seq = 1; seq <= 7; seq++) channel.receiveData(seq, `m${seq}`, seq * 0.5);
      assert.equal(acks.length, 0);
      channel.receiveData(8, 'm8', 4);
      assert.deepEqual(acks, [ackOf(8, [], 512, 3.5)]);
      assert.equal(channel.nextWakeup(), undefined);
    });

    it('sends a held ack maxAckDelayMs after the first datagram it covers, stating how long it waited', () => {
      const { channel, acks } = recordingChannel({ maxAckDelayMs: 10 });
      channel.receiveData(1, 'a', 100);
      channel.receiveData(2, 'b', 104);
      assert.equal(channel.nextWakeup(), 110);
      channel.poll(109);
      assert.equal(acks.length, 0);
      channel.poll(110);
      assert.deepEqual(acks, [ackOf(2, [], 512, 10)]);
      assert.equal(channel.stats.acksSent, 1);
    });

    it('acknowledges at once a datagram that arrives out of order', () => {
      const { channel, acks } = recordingChannel();
      channel.receiveData(1, 'a', 0);
      channel.receiveData(3, 'c', 2);
      assert.deepEqual(acks, [ackOf(1, [[3, 3]], 511, 2)]);
    });

    it('acknowledges at once a datagram that fills a gap', () => {
      const { channel, acks } = recordingChannel();
      channel.receiveData(2, 'b', 0);
      channel.receiveData(4, 'd', 0);
      channel.receiveData(1, 'a', 1);
      assert.deepEqual(acks.at(-1), ackOf(2, [[4, 4]], 511, 0));
      channel.receiveData(3, 'c', 2);
      assert.deepEqual(acks.at(-1), ackOf(4, [], 512, 0));
      assert.equal(acks.length, 4);
    });

    it('merges adjacent arrivals into one range', () => {
      const { channel, acks } = recordingChannel();
      for (const seq of [5, 3, 9, 4, 8, 10, 7]) channel.receiveData(seq, 'x', 0);
      assert.deepEqual(acks.at(-1)?.ranges, [
        { first: 3, last: 5 },
        { first: 7, last: 10 },
      ]);
    });

    it('sends at most MAX_ACK_RANGES ranges, the lowest ones, and they survive the wire codec', () => {
      const { channel, acks } = recordingChannel();
      for (let seq = 2 * MAX_ACK_RANGES + 100; seq >= 2; seq -= 2) channel.receiveData(seq, 'x', 0);
      const last = acks.at(-1) as AckBody;
      assert.equal(last.ranges.length, MAX_ACK_RANGES);
      const expected: AckRange[] = [];
      for (let seq = 2; expected.length < MAX_ACK_RANGES; seq += 2) expected.push({ first: seq, last: seq });
      assert.deepEqual(last.ranges, expected);
      for (const ack of acks) {
        assertValidRanges(ack);
        assert.deepEqual(wireRoundTrip(ack), ack);
      }
    });
  });
});
