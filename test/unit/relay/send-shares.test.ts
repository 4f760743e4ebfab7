import assert from 'node:assert/strict';
import { peekType } from '../../../src/protocol/codec';
import { ErrorCode, PacketType, type MessageFragment as Fragment } from '../../../src/protocol/types';
import { queuedBytesOfMessage, senderShareBytes, SenderShares } from '../../../src/relay/send-shares';
import { CoreNet } from '../../support/relay-peer';

function fragment(memberId: number, messageId: bigint, fragmentIndex = 0, fragmentCount = 1): Fragment {
  return { type: PacketType.Text, flags: 0, memberId, messageId, fragmentIndex, fragmentCount, chunk: new Uint8Array(10) };
}

describe('relay/send-shares', () => {
  describe('senderShareBytes', () => {
    it('is a third of the queue, and never less than one maximal image and a text', () => {
      assert.equal(senderShareBytes(30_000_000, { maxImageBytes: 1000, maxTextBytes: 1000 }), 10_000_000);
      const small = senderShareBytes(300_000, { maxImageBytes: 1_000_000, maxTextBytes: 16_384 });
      assert.equal(small, queuedBytesOfMessage(1_000_000) + queuedBytesOfMessage(16_384));
    });
  });

  describe('SenderShares', () => {
    const SHARE = queuedBytesOfMessage(5000);

    it('admits a sender until a whole message would take it past its share, then refuses it and says so once', () => {
      const shares = new SenderShares();
      assert.equal(shares.judge(fragment(7, 1n), SHARE), 'admit');
      shares.queued(7, 1, SHARE - 100);
      assert.equal(shares.judge(fragment(7, 2n), SHARE), 'refuse-and-tell');
      assert.equal(shares.judge(fragment(7, 3n), SHARE), 'refuse', 'told once');
      assert.equal(shares.judge(fragment(8, 4n), SHARE), 'admit', 'another sender has its own share');
    });

    it('refuses or admits a message whole: its later fragments follow its first', () => {
      const shares = new SenderShares();
      shares.queued(7, 1, SHARE - 100);
      assert.equal(shares.judge(fragment(7, 2n, 0, 3), SHARE), 'refuse-and-tell');
      shares.acknowledged(1);
      assert.equal(shares.judge(fragment(7, 2n, 1, 3), SHARE), 'refuse', 'a refused message stays refused');
      assert.equal(shares.judge(fragment(7, 2n, 2, 3), SHARE), 'refuse');
      assert.equal(shares.judge(fragment(7, 5n, 1, 3), SHARE), 'admit', 'a message admitted at its start is not cut');
    });

    it('remembers at most 256 refused messages, forgetting the oldest', () => {
      const shares = new SenderShares();
      shares.queued(7, 1, SHARE);
      for (let id = 1n; id <= 257n; id++) shares.judge(fragment(7, id, 0, 2), SHARE);
      assert.equal(shares.judge(fragment(7, 1n, 1, 2), SHARE), 'admit', 'the oldest was forgotten');
      assert.equal(shares.judge(fragment(7, 2n, 1, 2), SHARE), 'refuse');
    });

    it('gives a sender its share back as the receiver acknowledges, and tells it again next time', () => {
      const shares = new SenderShares();
      shares.queued(7, 1, SHARE - 100);
      assert.equal(shares.judge(fragment(7, 2n), SHARE), 'refuse-and-tell');
      shares.acknowledged(1);
      assert.equal(shares.bytesFrom(7), 0);
      assert.equal(shares.judge(fragment(7, 3n), SHARE), 'admit');
      shares.queued(7, 2, SHARE - 100);
      assert.equal(shares.judge(fragment(7, 4n), SHARE), 'refuse-and-tell');
    });

    it('keeps each sender to its own bytes while senders come and go', () => {
      const shares = new SenderShares();
      shares.queued(7, 1, 300);
      shares.queued(8, 2, 500);
      shares.acknowledged(1);
      assert.equal(shares.bytesFrom(7), 0);
      shares.queued(9, 3, 700);
      shares.queued(7, 4, 1100);
      shares.acknowledged(1);
      assert.deepEqual([shares.bytesFrom(7), shares.bytesFrom(8), shares.bytesFrom(9)], [1100, 500, 700], 'a repeated ack counts once');
      shares.acknowledged(3);
      shares.acknowledged(2);
      assert.deepEqual([shares.bytesFrom(7), shares.bytesFrom(8), shares.bytesFrom(9)], [1100, 0, 0]);
      shares.queued(10, 5, 65_535);
      assert.equal(shares.bytesFrom(10), 65_535, 'a fragment as large as a datagram');
      shares.acknowledged(4);
      assert.deepEqual([shares.bytesFrom(7), shares.bytesFrom(10)], [0, 65_535]);
    });
  });

  describe('in the relay', () => {
    /** A room whose queues hold 400 kB, with a member that receives nothing it is sent (so never acknowledges). */
    function roomWithSlowMember() {
      const net = new CoreNet({ reliability: { maxQueuedBytes: 400_000 }, limits: { maxImageBytes: 50_000 } });
      const slow = net.joined('slow');
      const bob = net.joined('bob');
      const carol = net.joined('carol');
      const flooder = net.joined('flooder');
      net.lose = (datagram, peer) => peer === slow && peekType(datagram) === PacketType.Text;
      return { net, slow, bob, carol, flooder };
    }

    it('keeps a slow member whose queue one member floods, and tells the flooder, while the others chat', () => {
      const { net, slow, bob, carol, flooder } = roomWithSlowMember();
      const carolTexts: string[] = [];
      for (let i = 0; i < 100; i++) {
        // 10 kB each: 100 of them are 2.5 times the slow member's whole queue.
        flooder.sendText(`${i} ${'x'.repeat(10_000)}`, net.now);
        if (i % 10 === 0) {
          carolTexts.push(`carol ${i}`);
          carol.sendText(`carol ${i}`, net.now);
        }
        for (const peer of [slow, bob, carol]) peer.heartbeat();
        net.advanceTo(net.now + 50);
      }
      assert.deepEqual(net.leaves, []);
      assert.equal(net.counters['evict-queue-full'], undefined);
      assert.ok((net.counters['skip-sender-over-share'] ?? 0) > 0);
      assert.deepEqual(bob.texts().filter((text) => text.startsWith('carol')), carolTexts);
      assert.equal(bob.texts().length, 100 + carolTexts.length, 'the flood itself reaches members who keep up');
      const notices = flooder.messages.filter((message) => message.type === PacketType.Notice);
      assert.equal(notices.length, 1);
      assert.equal(notices[0]?.type === PacketType.Notice && notices[0].code, ErrorCode.RateLimited);
      // Once the slow member receives again, every text of carol's reaches it: her share was never taken.
      net.lose = () => false;
      for (let step = 0; step < 120 && slow.texts().filter((text) => text.startsWith('carol')).length < carolTexts.length; step++) {
        for (const peer of [slow, bob, carol, flooder]) peer.heartbeat();
        net.advanceTo(net.now + 1000);
      }
      assert.deepEqual(slow.texts().filter((text) => text.startsWith('carol')), carolTexts);
    });
  });
});
