/**
 * Per-sender shares of a receiver's queue: how many bytes each sender holds in one member's relay→member queue, and
 * which of its messages that member was spared. A member that floods fills at most its share of anyone's queue;
 * past it, its messages skip that receiver (whole messages, decided at their first fragment, so no receiver gets
 * half of one) and it is told, instead of the slow receiver being removed for a queue someone else filled.
 * Pure: fragments and tickets in, verdicts out.
 */
import { HEADER_BYTES, MAX_FRAGMENT_BYTES } from '../protocol/constants';
import { PAYLOAD_OVERHEAD_BYTES } from '../protocol/payload';
import type { MessageFragment as Fragment } from '../protocol/types';

/** The part of a receiver's queue one sender may fill, at least (1/3: it takes three flooders to fill it). */
const SHARE_OF_QUEUE = 1 / 3;
/**
 * Refused messages remembered per receiver until their last fragment: four times the 64 a sender may have
 * half-forwarded at once. Past it the oldest is forgotten (its remaining fragments reach a receiver that will
 * discard the incomplete message), so a sender that never finishes its messages cannot grow this.
 */
const MAX_REFUSED_MESSAGES = 256;

/** Queue bytes (headers included) of a message of `payloadBytes`. */
export function queuedBytesOfMessage(payloadBytes: number): number {
  const fragments = Math.max(1, Math.ceil((payloadBytes + PAYLOAD_OVERHEAD_BYTES) / MAX_FRAGMENT_BYTES));
  return fragments * (HEADER_BYTES + MAX_FRAGMENT_BYTES);
}

/**
 * The most (bytes) one sender may hold in a receiver's queue of `queueBytes`: a third, and never less than one
 * maximal image and one maximal text (what a sender may rightly have on its way to a receiver at once).
 */
export function senderShareBytes(queueBytes: number, limits: { maxImageBytes: number; maxTextBytes: number }): number {
  const oneOfEach = queuedBytesOfMessage(limits.maxImageBytes) + queuedBytesOfMessage(limits.maxTextBytes);
  return Math.max(Math.floor(queueBytes * SHARE_OF_QUEUE), oneOfEach);
}

function refusedKey(fragment: Fragment): string {
  return `${fragment.memberId}:${fragment.messageId}`;
}

export type ShareVerdict =
  | 'admit'
  /** Not for this receiver: the sender holds its share of the queue. */
  | 'refuse'
  /** The same, and the first refusal since the sender was last within its share: tell the sender. */
  | 'refuse-and-tell';

/**
 * A fragment's queue bytes fit below this (a UDP datagram is under 64 KiB); its sender's slot is counted above it.
 * `slot × BYTES_FIELD + bytes` stays a small integer for the first 16,384 slots (more senders than any room holds),
 * which V8 keeps unboxed.
 */
const BYTES_FIELD = 0x1_0000;

export class SenderShares {
  /**
   * Ticket → slot × BYTES_FIELD + bytes. A number, not an object: an entry lives until its fragment is
   * acknowledged, long enough for an object to be promoted to the old generation, and at 100,000 deliveries/s
   * those objects cost the relay major collections (pauses that outlast its probe timeout).
   */
  readonly #byTicket = new Map<number, number>();
  /** Each sender holding bytes here has a slot: its id and its bytes, by slot; freed slots are reused. */
  readonly #slotOf = new Map<number, number>();
  readonly #senderAt: number[] = [];
  readonly #bytesAt: number[] = [];
  readonly #freeSlots: number[] = [];
  /** `sender:messageId` of messages refused at their first fragment, until their last one passes. */
  readonly #refused = new Set<string>();
  /** Senders told they are over their share, until they are back under half of it. */
  readonly #told = new Set<number>();

  bytesFrom(sender: number): number {
    const slot = this.#slotOf.get(sender);
    return slot === undefined ? 0 : (this.#bytesAt[slot] as number);
  }

  /** Judges a sender's fragment for this receiver; `share` is senderShareBytes of its queue. */
  judge(fragment: Fragment, share: number): ShareVerdict {
    const sender = fragment.memberId;
    const last = fragment.fragmentIndex === fragment.fragmentCount - 1;
    // Every fragment to every receiver passes here: the key (a bigint made text) is built only when some message
    // is refused, which in a room that keeps up is never.
    if (this.#refused.size > 0) {
      const key = refusedKey(fragment);
      if (this.#refused.has(key)) {
        if (last) this.#refused.delete(key);
        return 'refuse';
      }
    }
    if (fragment.fragmentIndex !== 0) return 'admit';
    const held = this.bytesFrom(sender);
    const whole = fragment.fragmentCount * (HEADER_BYTES + MAX_FRAGMENT_BYTES);
    if (held + whole <= share) {
      if (this.#told.size > 0 && held <= share / 2) this.#told.delete(sender);
      return 'admit';
    }
    if (!last) {
      const key = refusedKey(fragment);
      if (this.#refused.size >= MAX_REFUSED_MESSAGES) this.#refused.delete(this.#refused.values().next().value ?? key);
      this.#refused.add(key);
    }
    if (this.#told.has(sender)) return 'refuse';
    this.#told.add(sender);
    return 'refuse-and-tell';
  }

  /** A fragment of `sender` went into the queue as `ticket`; `bytes` is below 64 KiB, as any datagram is. */
  queued(sender: number, ticket: number, bytes: number): void {
    if (!(bytes >= 0 && bytes < BYTES_FIELD)) throw new RangeError(`a queued fragment of ${bytes} bytes`);
    let slot = this.#slotOf.get(sender);
    if (slot === undefined) {
      slot = this.#freeSlots.pop() ?? this.#senderAt.length;
      this.#slotOf.set(sender, slot);
      this.#senderAt[slot] = sender;
      this.#bytesAt[slot] = 0;
    }
    this.#bytesAt[slot] = (this.#bytesAt[slot] as number) + bytes;
    this.#byTicket.set(ticket, slot * BYTES_FIELD + bytes);
  }

  /** The receiver acknowledged `ticket`: it no longer counts against its sender. */
  acknowledged(ticket: number): void {
    const entry = this.#byTicket.get(ticket);
    if (entry === undefined) return;
    this.#byTicket.delete(ticket);
    const slot = Math.floor(entry / BYTES_FIELD);
    const left = (this.#bytesAt[slot] as number) - (entry % BYTES_FIELD);
    if (left > 0) {
      this.#bytesAt[slot] = left;
      return;
    }
    this.#slotOf.delete(this.#senderAt[slot] as number);
    this.#freeSlots.push(slot);
  }
}
