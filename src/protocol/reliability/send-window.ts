/** The datagrams in flight: what the sender remembers of each, and the ring that holds them by sequence number. */
import type { Queued } from './send-queue';

/** A queued item that has entered the window and got a sequence number. */
export interface Outstanding<T> extends Queued<T> {
  seq: number;
  firstSentAt: number;
  lastSentAt: number;
  /** Number of the first transmission, counted over all transmissions (QUIC's packet number). */
  firstTransmission: number;
  /** Number of the latest transmission. */
  lastTransmission: number;
  transmissions: number;
  /** The latest copy went out on the retransmission timer, so the earlier ones were out for a whole RTO. */
  lastSentByTimer: boolean;
}

/** Slots a window starts with; it doubles whenever the span from its lowest to its highest seq outgrows them. */
const INITIAL_SLOTS = 64;

/**
 * The datagrams in flight, by sequence number: a ring of slots from the lowest unacknowledged seq up. Sequence
 * numbers are assigned in order and mostly acknowledged in order, so finding the oldest (every ack looks there)
 * costs nothing, unlike a Map, whose iteration walks over every entry deleted since its last rehash.
 */
export class SequenceWindow<E> {
  #slots: (E | undefined)[] = new Array<E | undefined>(INITIAL_SLOTS);
  #mask = INITIAL_SLOTS - 1;
  /** Lowest seq that may be in flight (every slot below it is empty). */
  #low = 1;
  /** One past the highest seq added. */
  #high = 1;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Lowest and one-past-highest seq that may be live: loops from `low` to `high` visit every entry in order. */
  get low(): number {
    return this.#low;
  }

  get high(): number {
    return this.#high;
  }

  get(seq: number): E | undefined {
    return seq >= this.#low && seq < this.#high ? this.#slots[seq & this.#mask] : undefined;
  }

  /** Adds the entry of the next seq (seqs are added in increasing order). */
  add(seq: number, entry: E): void {
    if (this.#size === 0) this.#low = seq;
    while (seq - this.#low >= this.#slots.length) this.#grow();
    this.#slots[seq & this.#mask] = entry;
    this.#high = seq + 1;
    this.#size++;
  }

  delete(seq: number): E | undefined {
    const entry = this.get(seq);
    if (entry === undefined) return undefined;
    this.#slots[seq & this.#mask] = undefined;
    this.#size--;
    while (this.#low < this.#high && this.#slots[this.#low & this.#mask] === undefined) this.#low++;
    return entry;
  }

  /** The live entries, oldest first, at most `limit` of them. */
  oldest(limit = Infinity): E[] {
    const found: E[] = [];
    for (let seq = this.#low; seq < this.#high && found.length < limit; seq++) {
      const entry = this.#slots[seq & this.#mask];
      if (entry !== undefined) found.push(entry);
    }
    return found;
  }

  /** The live entry of the highest seq, or undefined when none is in flight. */
  newest(): E | undefined {
    for (let seq = this.#high - 1; seq >= this.#low; seq--) {
      const entry = this.#slots[seq & this.#mask];
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  #grow(): void {
    const slots = new Array<E | undefined>(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let seq = this.#low; seq < this.#high; seq++) slots[seq & mask] = this.#slots[seq & this.#mask];
    this.#slots = slots;
    this.#mask = mask;
  }
}
