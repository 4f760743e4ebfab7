import assert from 'node:assert/strict';
import {
  FAILED_EXPIRY_MS,
  fragmentsOf,
  Outbox,
  OUTBOX_FRAGMENT_OVERHEAD_BYTES,
  OUTBOX_MESSAGE_OVERHEAD_BYTES,
  outboxCost,
  type FragmentSink,
} from '../../../src/client/outbox';
import { HEADER_BYTES, MAX_FRAGMENT_BYTES } from '../../../src/protocol/constants';
import { PacketType, type MessageFragment } from '../../../src/protocol/types';

const T0 = 100_000;
const TIMEOUT = 60_000;

/** A channel stand-in: hands out tickets, refuses once `exhausted` or `full`. */
class Sink implements FragmentSink {
  readonly sent: Array<{ ticket: number; fragment: MessageFragment; bytes: number }> = [];
  exhausted = false;
  full = false;
  #next = 1;

  send(fragment: MessageFragment, bytes: number): number | undefined {
    if (this.exhausted || this.full) return undefined;
    const ticket = this.#next++;
    this.sent.push({ ticket, fragment, bytes });
    return ticket;
  }

  /** Exhausts after `count` more fragments. */
  exhaustAfter(count: number): void {
    const send = this.send.bind(this);
    let left = count;
    this.send = (fragment, bytes) => {
      if (left-- <= 0) this.exhausted = true;
      return send(fragment, bytes);
    };
  }
}

function outbox(overrides: Partial<ConstructorParameters<typeof Outbox>[0]> = {}): Outbox {
  return new Outbox({ deliveryTimeoutMs: TIMEOUT, headerBytes: HEADER_BYTES, ...overrides });
}

function text(box: Outbox, id: bigint, now = T0, bytes = 10) {
  const added = box.add(id, PacketType.Text, fragmentsOf(PacketType.Text, new Uint8Array(bytes).fill(1), id), now);
  assert.ok(added.entry, added.refused);
  return added.entry;
}

describe('client/outbox', () => {
  describe('delivery states', () => {
    it('marks a message sending when it goes on the channel, and delivered when every fragment is acknowledged', () => {
      const box = outbox();
      const entry = text(box, 1n, T0, MAX_FRAGMENT_BYTES * 2 + 1);
      const sink = new Sink();
      const { update } = box.transmit(entry, sink, T0);
      assert.equal(update?.state, 'sending');
      assert.deepEqual(sink.sent.map((sent) => sent.bytes), [HEADER_BYTES + MAX_FRAGMENT_BYTES, HEADER_BYTES + MAX_FRAGMENT_BYTES, HEADER_BYTES + 1]);
      assert.equal(box.acknowledged(1), undefined);
      assert.equal(box.acknowledged(2), undefined);
      assert.deepEqual(box.acknowledged(3), { id: entry.idText, state: 'delivered', progress: 1 });
      assert.equal(box.size, 0);
      assert.equal(box.bytes, 0);
    });

    it('fails a sending message at exactly deliveryTimeoutMs, not a millisecond before', () => {
      const box = outbox();
      const entry = text(box, 1n);
      box.transmit(entry, new Sink(), T0);
      assert.equal(box.nextWakeup(), T0 + TIMEOUT);
      assert.deepEqual(box.poll(T0 + TIMEOUT - 1, 'the relay did not confirm it'), []);
      assert.deepEqual(box.poll(T0 + TIMEOUT, 'the relay did not confirm it'), [
        { id: entry.idText, state: 'failed', progress: 0, reason: 'the relay did not confirm it' },
      ]);
    });

    it('fails a queued message the same way while no relay answers', () => {
      const box = outbox({ deliveryTimeoutMs: 5000 });
      const entry = text(box, 7n, T0);
      assert.equal(box.queue(entry, T0).state, 'queued');
      assert.deepEqual(box.poll(T0 + 4999, 'unreachable'), []);
      assert.equal(box.poll(T0 + 5000, 'unreachable')[0]?.state, 'failed');
    });

    it('sends a failed message again on retry, with a new attempt timed from the retry', () => {
      const box = outbox();
      const entry = text(box, 1n);
      box.transmit(entry, new Sink(), T0);
      box.poll(T0 + TIMEOUT, 'no');
      const retried = box.retry(entry.idText, T0 + TIMEOUT + 10);
      assert.equal(retried, entry);
      const sink = new Sink();
      assert.equal(box.transmit(entry, sink, T0 + TIMEOUT + 10).update?.state, 'sending');
      assert.equal(sink.sent.length, 1);
      assert.equal(box.nextWakeup(), T0 + 2 * TIMEOUT + 10);
      assert.equal(box.acknowledged(sink.sent[0]?.ticket as number)?.state, 'delivered');
    });

    it('retries only failed messages', () => {
      const box = outbox();
      const entry = text(box, 1n);
      assert.equal(box.retry(entry.idText, T0), undefined);
      assert.equal(box.retry('0000000000000099', T0), undefined);
    });

    it('still counts a late acknowledgement of a failed message as delivered', () => {
      const box = outbox();
      const entry = text(box, 1n);
      const sink = new Sink();
      box.transmit(entry, sink, T0);
      box.poll(T0 + TIMEOUT, 'no');
      assert.equal(box.acknowledged(1)?.state, 'delivered');
    });

    it('puts what was sending back in the queue when the channel goes, to be sent whole on the next', () => {
      const box = outbox();
      const first = text(box, 1n);
      const second = text(box, 2n);
      box.transmit(first, new Sink(), T0);
      box.sessionEnded();
      assert.equal(first.state, 'queued');
      assert.equal(box.acknowledged(1), undefined);
      assert.deepEqual(box.sendable(), [first, second]);
    });

    it('reports an image\'s progress in steps as its fragments are acknowledged', () => {
      const box = outbox();
      const id = 5n;
      const added = box.add(id, PacketType.Image, fragmentsOf(PacketType.Image, new Uint8Array(MAX_FRAGMENT_BYTES * 40), id), T0);
      const sink = new Sink();
      box.transmit(added.entry as NonNullable<typeof added.entry>, sink, T0);
      const progress = sink.sent.map(({ ticket }) => box.acknowledged(ticket)).filter((update) => update !== undefined);
      assert.equal(progress.length, 20);
      assert.deepEqual(progress.at(-1), { id: added.entry?.idText, state: 'delivered', progress: 1 });
      assert.deepEqual(progress.slice(0, -1).map((update) => update.progress), Array.from({ length: 19 }, (_, i) => (2 * (i + 1)) / 40));
    });
  });

  describe('a channel that refuses', () => {
    it('keeps a message queued when the channel runs out of sequence numbers, and says so', () => {
      const box = outbox();
      const entry = text(box, 1n, T0, MAX_FRAGMENT_BYTES * 3);
      const sink = new Sink();
      sink.exhaustAfter(1);
      const { update, exhausted } = box.transmit(entry, sink, T0);
      assert.equal(exhausted, true);
      assert.equal(update?.state, 'queued');
      assert.equal(box.acknowledged(1), undefined, 'a ticket of the exhausted attempt still counts');
      assert.deepEqual(box.sendable(), [entry]);
    });

    it('fails a message the channel has no room for', () => {
      const box = outbox();
      const entry = text(box, 1n);
      const sink = new Sink();
      sink.full = true;
      const { update, exhausted } = box.transmit(entry, sink, T0);
      assert.equal(exhausted, false);
      assert.equal(update?.state, 'failed');
      assert.match(update?.reason ?? '', /try again/);
    });
  });

  describe('bounds', () => {
    it('refuses the message after the last that fits by count, saying why', () => {
      const box = outbox({ maxMessages: 3 });
      for (const id of [1n, 2n, 3n]) text(box, id);
      const refused = box.add(4n, PacketType.Text, fragmentsOf(PacketType.Text, Uint8Array.of(1), 4n), T0);
      assert.equal(refused.entry, undefined);
      assert.match(refused.refused ?? '', /already holds 3 messages not yet delivered \(at most 3\)/);
      assert.equal(box.size, 3);
    });

    it('refuses what would pass its byte bound, counting each fragment\'s bookkeeping', () => {
      const fragments = fragmentsOf(PacketType.Image, new Uint8Array(MAX_FRAGMENT_BYTES * 10), 1n);
      const cost = outboxCost(fragments);
      assert.equal(cost, MAX_FRAGMENT_BYTES * 10 + 10 * OUTBOX_FRAGMENT_OVERHEAD_BYTES + OUTBOX_MESSAGE_OVERHEAD_BYTES);
      const box = outbox({ maxBytes: 2 * cost });
      assert.ok(box.add(1n, PacketType.Image, fragments, T0).entry);
      assert.ok(box.add(2n, PacketType.Image, fragmentsOf(PacketType.Image, new Uint8Array(MAX_FRAGMENT_BYTES * 10), 2n), T0).entry);
      const refused = box.add(3n, PacketType.Image, fragmentsOf(PacketType.Image, Uint8Array.of(1), 3n), T0);
      assert.match(refused.refused ?? '', /the image needs .* MiB, more than the .* MiB it may hold/);
      assert.equal(box.bytes, 2 * cost);
    });

    it('counts a flood of 1-byte texts at their bookkeeping, not their byte', () => {
      const box = outbox({ maxBytes: 100 * (OUTBOX_MESSAGE_OVERHEAD_BYTES + OUTBOX_FRAGMENT_OVERHEAD_BYTES + 1) });
      let accepted = 0;
      for (let id = 1n; id <= 1000n; id++) if (box.add(id, PacketType.Text, fragmentsOf(PacketType.Text, Uint8Array.of(1), id), T0).entry) accepted++;
      assert.equal(accepted, 100);
    });

    it('frees its bytes when a message is delivered, so the next fits', () => {
      const box = outbox({ maxMessages: 1 });
      const entry = text(box, 1n);
      const sink = new Sink();
      box.transmit(entry, sink, T0);
      box.acknowledged(1);
      assert.ok(box.add(2n, PacketType.Text, fragmentsOf(PacketType.Text, Uint8Array.of(1), 2n), T0).entry);
    });
  });

  describe('failed messages leave', () => {
    it('drops a failed message exactly FAILED_EXPIRY_MS after it failed, reporting it discarded', () => {
      const box = outbox();
      const entry = text(box, 1n);
      box.poll(T0 + TIMEOUT, 'no');
      assert.equal(box.nextWakeup(), T0 + TIMEOUT + FAILED_EXPIRY_MS);
      assert.deepEqual(box.poll(T0 + TIMEOUT + FAILED_EXPIRY_MS - 1, 'no'), []);
      const [update] = box.poll(T0 + TIMEOUT + FAILED_EXPIRY_MS, 'no');
      assert.equal(update?.id, entry.idText);
      assert.equal(update?.discarded, true);
      assert.equal(box.size, 0);
      assert.equal(box.bytes, 0);
      assert.equal(box.retry(entry.idText, T0 + TIMEOUT + FAILED_EXPIRY_MS), undefined);
    });

    it('lets the user discard a failed message, which then cannot be retried', () => {
      const box = outbox();
      const entry = text(box, 1n);
      box.poll(T0 + TIMEOUT, 'no');
      const update = box.discard(entry.idText);
      assert.deepEqual(update, { id: entry.idText, state: 'failed', progress: 0, reason: 'discarded', discarded: true });
      assert.equal(box.size, 0);
      assert.equal(box.discard(entry.idText), undefined);
    });

    it('does not discard a message that is on its way', () => {
      const box = outbox();
      const entry = text(box, 1n);
      box.transmit(entry, new Sink(), T0);
      assert.equal(box.discard(entry.idText), undefined);
      assert.equal(box.size, 1);
    });

    it('removes a message the relay refused for good, failed', () => {
      const box = outbox();
      const entry = text(box, 1n);
      assert.deepEqual(box.refusedByRelay(1n, 'too large for this relay', T0), { id: entry.idText, state: 'failed', progress: 0, reason: 'too large for this relay' });
      assert.equal(box.size, 0);
    });
  });
});
