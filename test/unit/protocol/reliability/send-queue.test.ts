import assert from 'node:assert/strict';
import { ackOf, recordingChannel, sendMany } from '../../../support/recording-channel';

describe('reliability send queue', () => {
  describe('priorities', () => {
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
  });

  describe('budget', () => {
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
  });

  describe('what is left', () => {
    it('lists what the peer has not delivered: sent ones in seq order, selectively acked included, then queued in the order given', () => {
      const { channel } = recordingChannel({ sendWindowPackets: 2 });
      channel.send('a', 1, 'normal', 0);
      channel.send('b', 1, 'normal', 0);
      channel.send('c', 1, 'bulk', 0);
      channel.send('d', 1, 'urgent', 0);
      channel.send('e', 1, 'normal', 0);
      // b arrived out of order (the peer holds it, a is missing); d (urgent) takes its place in the window.
      channel.receiveAck(ackOf(0, [[2, 2]]), 5);
      assert.deepEqual(channel.unacknowledged(), [
        { ticket: 1, item: 'a', priority: 'normal' },
        { ticket: 2, item: 'b', priority: 'normal' },
        { ticket: 4, item: 'd', priority: 'urgent' },
        { ticket: 3, item: 'c', priority: 'bulk' },
        { ticket: 5, item: 'e', priority: 'normal' },
      ]);
    });
  });
});
