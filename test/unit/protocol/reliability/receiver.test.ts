import assert from 'node:assert/strict';
import { MAX_ACK_RANGES } from '../../../../src/protocol/codec';
import { MAX_SEQUENCE, ReliableChannel, type ReliableChannelOptions } from '../../../../src/protocol/reliability';
import type { AckBody, AckRange } from '../../../../src/protocol/types';
import { mulberry32 } from '../../../support/lossy-link';
import { ackOf, assertValidRanges, recordingChannel, wireRoundTrip } from '../../../support/recording-channel';

describe('reliability receiver', () => {
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

    it('answers a burst of duplicates with one ack at once and one at the delayed-ack deadline', () => {
      const { channel, acks } = recordingChannel();
      for (let seq = 1; seq <= 3; seq++) channel.receiveData(seq, `item ${seq}`, 0);
      // The sender resends all three (its acks came late, not lost): one ack says so at once...
      for (let seq = 1; seq <= 3; seq++) channel.receiveData(seq, `item ${seq}`, 5);
      assert.deepEqual(acks, [ackOf(3, [], 512, 5)]);
      assert.equal(channel.stats.duplicatesDropped, 3);
      // ...and what follows within maxAckDelayMs (20 ms) waits for the held ack.
      channel.receiveData(2, 'item 2', 10);
      assert.equal(acks.length, 1);
      assert.equal(channel.nextWakeup(), 25, 'the held ack is due 20 ms after the first duplicate it covers');
      channel.poll(25);
      assert.deepEqual(acks, [ackOf(3, [], 512, 5), ackOf(3, [], 512, 20)]);
      channel.receiveData(1, 'item 1', 50);
      assert.equal(acks.length, 3, 'a duplicate a whole delay after the last ack is answered at once');
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

    it('holds the ack for a datagram that only extends the highest run above a known hole', () => {
      const { channel, acks } = recordingChannel({ maxAckDelayMs: 10 });
      channel.receiveData(2, 'b', 0);
      assert.equal(acks.length, 1, 'the new gap is acknowledged at once');
      channel.receiveData(3, 'c', 1);
      channel.receiveData(4, 'd', 2);
      assert.equal(acks.length, 1, 'seqs 3 and 4 tell the sender nothing the first ack did not');
      assert.equal(channel.nextWakeup(), 11, 'they wait for the delayed-ack deadline, counted from seq 3');
      channel.poll(11);
      assert.deepEqual(acks.at(-1), ackOf(0, [[2, 4]], 509, 10));
    });

    it('counts datagrams held above a hole toward ackEveryPackets', () => {
      const { channel, acks } = recordingChannel({ ackEveryPackets: 4 });
      channel.receiveData(2, 'b', 0);
      for (let seq = 3; seq <= 5; seq++) channel.receiveData(seq, 'x', 0);
      assert.equal(acks.length, 1, 'three more held datagrams are fewer than four');
      channel.receiveData(6, 'x', 0);
      assert.deepEqual(acks.at(-1), ackOf(0, [[2, 6]], 507, 0), 'the fourth since the last ack sends one');
    });

    it('acknowledges at once a datagram below the highest received, in a hole above the cumulative point', () => {
      const { channel, acks } = recordingChannel();
      channel.receiveData(2, 'b', 0);
      channel.receiveData(5, 'e', 0);
      assert.equal(acks.length, 2, 'each new gap is acknowledged at once');
      channel.receiveData(4, 'd', 1);
      assert.deepEqual(acks.at(-1), ackOf(0, [[2, 2], [4, 5]], 509, 0));
      assert.equal(acks.length, 3);
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

  describe('a deliver callback that throws', () => {
    /** A receiver whose deliver callback records each call and throws on the items in `failOn`. */
    function failingReceiver(failOn: ReadonlySet<string>, reportFailures: boolean) {
      const calls: string[] = [];
      const acks: AckBody[] = [];
      const failures: [unknown, string][] = [];
      const options: ReliableChannelOptions<string> = {
        transmit: () => undefined,
        transmitAck: (ack) => acks.push(ack),
        deliver: (item) => {
          calls.push(item);
          if (failOn.has(item)) throw new Error(`listener broke on ${item}`);
        },
      };
      if (reportFailures) options.deliveryFailed = (error, item) => failures.push([error, item]);
      return { channel: new ReliableChannel<string>(options, 0), calls, acks, failures };
    }

    it('still delivers the rest of the in-order batch, each item once, then rethrows the first error', () => {
      const { channel, calls, acks } = failingReceiver(new Set(['one']), false);
      channel.receiveData(2, 'two', 0);
      channel.receiveData(3, 'three', 0);
      assert.throws(() => channel.receiveData(1, 'one', 1), /listener broke on one/);
      assert.deepEqual(calls, ['one', 'two', 'three']);
      assert.equal(acks.at(-1)?.cumulative, 3, 'the ack covers the whole batch');
      for (const [seq, item] of [[1, 'one'], [2, 'two'], [3, 'three']] as const) channel.receiveData(seq, item, 2);
      channel.receiveData(4, 'four', 3);
      assert.deepEqual(calls, ['one', 'two', 'three', 'four'], 'resent copies deliver nothing again');
      assert.equal(channel.stats.delivered, 4);
    });

    it('reports each failed item through deliveryFailed after the batch, and throws nothing', () => {
      const { channel, calls, failures } = failingReceiver(new Set(['one', 'three']), true);
      channel.receiveData(2, 'two', 0);
      channel.receiveData(3, 'three', 0);
      channel.receiveData(1, 'one', 1);
      assert.deepEqual(calls, ['one', 'two', 'three']);
      assert.deepEqual(
        failures.map(([error, item]) => [(error as Error).message, item]),
        [
          ['listener broke on one', 'one'],
          ['listener broke on three', 'three'],
        ],
      );
    });
  });
});
