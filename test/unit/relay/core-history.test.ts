import assert from 'node:assert/strict';
import { decodePacket } from '../../../src/protocol/codec';
import { HistoryDirection, type MessagePayload } from '../../../src/protocol/payload';
import { PacketType } from '../../../src/protocol/types';
import { MemoryHistoryStore } from '../../../src/history/memory-store';
import type { StoredMessage } from '../../../src/history/store';
import { MAX_PAGE_MESSAGES } from '../../../src/relay/history';
import { CoreNet, type WirePeer } from '../../support/relay-peer';

/** `count` stored texts of `bytes` each from "old", as a relay of before left them. */
function storeWith(count: number, bytes: number): MemoryHistoryStore {
  const store = new MemoryHistoryStore();
  store.append(
    Array.from({ length: count }, (_, index) => ({
      room: 'general',
      type: PacketType.Text,
      messageId: BigInt(index + 1),
      from: 'old',
      memberKey: undefined,
      storedAt: 0,
      payload: new Uint8Array(bytes),
    })),
  );
  return store;
}

/** A core with history: appends go to a memory store at once, and into `appends` in order. */
function historyNet(store = new MemoryHistoryStore()): { net: CoreNet; store: MemoryHistoryStore; appends: StoredMessage[] } {
  const appends: StoredMessage[] = [];
  const net = new CoreNet({
    // Every fragment acknowledged at once: the strictest case for "stored before acknowledged".
    reliability: { ackEveryPackets: 1 },
    history: {
      reader: store,
      append: (message) => {
        appends.push(message);
        const [stored] = store.append([{ ...message }]);
        assert.equal(stored?.seq, message.seq);
      },
      pin: (room, verifier) => store.pinRoom(room, verifier),
    },
  });
  return { net, store, appends };
}

function ofType<T extends MessagePayload['type']>(peer: WirePeer, type: T): Extract<MessagePayload, { type: T }>[] {
  return peer.messages.filter((message): message is Extract<MessagePayload, { type: T }> => message.type === type);
}

function requestHistory(peer: WirePeer, net: CoreNet, query: { requestId: number; direction: HistoryDirection; seq: number; limit: number }): void {
  peer.sendPayload({ type: PacketType.HistoryRequest, ...query }, net.now);
  net.flush();
}

describe('relay/core with history', () => {
  it('hands a message over for storing before it sends the acknowledgement that covers its last fragment', () => {
    const { net, appends } = historyNet();
    const ann = net.joined('ann');
    net.joined('bob');
    const order: string[] = [];
    net.lose = (datagram, peer) => {
      const decoded = decodePacket(datagram);
      if (peer === ann && decoded.ok && decoded.value.type === PacketType.Ack && decoded.value.body.cumulative > 0) {
        order.push(`ack ${decoded.value.body.cumulative} after ${appends.length} appends`);
      }
      return false;
    };
    ann.sendText('x'.repeat(3000), net.now); // three fragments: ann's seqs 1, 2, 3
    net.flush();
    assert.equal(appends.length, 1);
    const covering = order.filter((line) => Number(line.split(' ')[1]) >= 3);
    assert.ok(covering.length > 0, `no ack covered the last fragment: ${order.join('; ')}`);
    assert.ok(covering.every((line) => line.endsWith('after 1 appends')), order.join('; '));
  });

  it('numbers each room\'s messages from 1 and stores them with sender, member key and payload as received', () => {
    const { net, appends } = historyNet();
    const ann = net.joined('ann');
    const cat = net.joined('cat', 'other');
    net.joined('bob');
    ann.sendText('one', net.now);
    ann.sendText('two', net.now);
    cat.sendText('elsewhere', net.now);
    net.flush();
    assert.deepEqual(
      appends.map((message) => [message.room, message.seq, message.from, message.type]),
      [
        ['general', 1, 'ann', PacketType.Text],
        ['general', 2, 'ann', PacketType.Text],
        ['other', 1, 'cat', PacketType.Text],
      ],
    );
    assert.equal(appends[0]?.memberKey, undefined);
    assert.ok(Buffer.from(appends[0]?.payload ?? []).includes(Buffer.from('one')));
  });

  it('tells each receiver the number of each message and of the one it was sent before, skipping its own', () => {
    const { net } = historyNet();
    const ann = net.joined('ann');
    const bob = net.joined('bob');
    ann.sendText('a1', net.now);
    net.flush();
    bob.sendText('b1', net.now);
    net.flush();
    ann.sendText('a2', net.now);
    net.flush();
    assert.deepEqual(
      bob.numbered.map(({ roomSeq, previousSeq }) => [roomSeq, previousSeq]),
      [
        [1, 0],
        [3, 1],
      ],
    );
    assert.deepEqual(
      ann.numbered.map(({ roomSeq, previousSeq }) => [roomSeq, previousSeq]),
      [[2, 0]],
    );
  });

  it('starts a late joiner\'s chain at the room\'s latest number, so nothing before it looks missing', () => {
    const { net } = historyNet();
    const ann = net.joined('ann');
    net.joined('bob');
    ann.sendText('before cat', net.now);
    net.flush();
    const cat = net.joined('cat');
    ann.sendText('after cat', net.now);
    net.flush();
    assert.deepEqual(cat.numbered.map(({ roomSeq, previousSeq }) => [roomSeq, previousSeq]), [[2, 1]]);
  });

  it('answers a request for the last messages with them, oldest first, then a HistoryEnd with count and latest number', () => {
    const { net } = historyNet();
    const ann = net.joined('ann');
    net.joined('bob');
    for (const text of ['m1', 'm2', 'm3', 'm4']) ann.sendText(text, net.now);
    net.flush();
    const cat = net.joined('cat');
    requestHistory(cat, net, { requestId: 7, direction: HistoryDirection.Before, seq: 0, limit: 2 });
    const stored = ofType(cat, PacketType.Stored);
    assert.deepEqual(
      stored.map((message) => [message.seq, message.from, message.storedType]),
      [
        [3, 'ann', PacketType.Text],
        [4, 'ann', PacketType.Text],
      ],
    );
    assert.deepEqual(ofType(cat, PacketType.HistoryEnd), [{ type: PacketType.HistoryEnd, requestId: 7, count: 2, latestSeq: 4, reachedSeq: 3, complete: false }]);
  });

  it('answers a catch-up request with what came after the number asked, and says when it is complete', () => {
    const { net } = historyNet();
    const ann = net.joined('ann');
    net.joined('bob');
    for (const text of ['m1', 'm2', 'm3']) ann.sendText(text, net.now);
    net.flush();
    const cat = net.joined('cat');
    requestHistory(cat, net, { requestId: 1, direction: HistoryDirection.After, seq: 1, limit: 50 });
    assert.deepEqual(ofType(cat, PacketType.Stored).map((message) => message.seq), [2, 3]);
    assert.deepEqual(ofType(cat, PacketType.HistoryEnd)[0], { type: PacketType.HistoryEnd, requestId: 1, count: 2, latestSeq: 3, reachedSeq: 3, complete: true });
  });

  it('holds a page to MAX_PAGE_MESSAGES whatever the member asks', () => {
    const { net } = historyNet(storeWith(MAX_PAGE_MESSAGES + 5, 1));
    const ann = net.joined('ann');
    requestHistory(ann, net, { requestId: 2, direction: HistoryDirection.After, seq: 0, limit: 1000 });
    assert.equal(ofType(ann, PacketType.Stored).length, MAX_PAGE_MESSAGES);
    assert.deepEqual(ofType(ann, PacketType.HistoryEnd)[0], { type: PacketType.HistoryEnd, requestId: 2, count: MAX_PAGE_MESSAGES, latestSeq: MAX_PAGE_MESSAGES + 5, reachedSeq: MAX_PAGE_MESSAGES, complete: false });
  });

  it('lets a live text overtake a large backlog: it arrives before the HistoryEnd, with backlog after it', () => {
    // 200 stored messages of 4 KiB: 800 KiB of backlog, far more than BACKLOG_QUEUED_BYTES.
    const { net } = historyNet(storeWith(200, 4096));
    const ann = net.joined('ann');
    const cat = net.joined('cat');
    cat.sendPayload({ type: PacketType.HistoryRequest, requestId: 4, direction: HistoryDirection.After, seq: 0, limit: 200 }, net.now);
    // Only the request reaches the relay: cat's acknowledgements wait, so most of the page is still to be fed.
    for (const datagram of cat.outbox.splice(0)) net.inject(datagram, cat.host, cat.port);
    ann.sendText('live', net.now);
    for (const datagram of ann.outbox.splice(0)) net.inject(datagram, ann.host, ann.port);
    net.flush();
    const order = cat.messages.flatMap((message) =>
      message.type === PacketType.Text ? ['live'] : message.type === PacketType.HistoryEnd ? ['end'] : message.type === PacketType.Stored ? ['stored'] : [],
    );
    assert.equal(order.filter((kind) => kind === 'stored').length, 200);
    const live = order.indexOf('live');
    const end = order.indexOf('end');
    assert.ok(live >= 0 && live < end, `the live text came at ${live}, the end of the backlog at ${end}`);
    assert.ok(order.slice(live).includes('stored'), 'the live text came only after the whole backlog');
  });
});
