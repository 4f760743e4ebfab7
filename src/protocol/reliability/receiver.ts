/**
 * The receiving half of a channel: delivers in order, exactly once; buffers out-of-order datagrams within its
 * window; acknowledges cumulatively plus up to MAX_ACK_RANGES selective ranges; delays acks (every
 * `ackEveryPackets` datagrams or after `maxAckDelayMs`) unless news of a hole (a new gap, or a hole filling) or a
 * duplicate calls for one at once (for duplicates, at most one per `maxAckDelayMs`).
 */
import { MAX_ACK_RANGES } from '../codec';
import type { AckBody } from '../types';
import type { ChannelStats } from './stats';
import { isSequenceNumber, type ReliabilityTuning } from './tuning';

/** What the receiver calls back; part of ReliableChannelOptions. They run synchronously and may call send(). */
export interface ReceiverCallbacks<T> {
  /** Put an acknowledgement on the wire. */
  transmitAck(ack: AckBody): void;
  /**
   * Received items, in sequence order, each exactly once. Several may be handed over in one batch, when a datagram
   * fills a gap; the ack already covers the whole batch, so none of it will come again. A throw therefore stops
   * nothing: the rest of the batch is still delivered, and the failure goes to `deliveryFailed` (or, without it, is
   * thrown once the batch is done).
   */
  deliver(item: T): void;
  /**
   * A `deliver` call threw `error` for `item`. Called once per failed item, after the whole batch was delivered;
   * the item counts as delivered (it is acknowledged and will not be resent). Without this callback the first such
   * error is thrown from receiveData once the batch is done; the channel stays consistent either way.
   */
  deliveryFailed?(error: unknown, item: T): void;
}

/** A run of sequence numbers received above the cumulative point. */
interface Run {
  first: number;
  last: number;
}

interface DeliveryFailure<T> {
  error: unknown;
  item: T;
}

/** The counters the receiver keeps (ChannelStats says what each means). */
export type ReceiverCounts = Pick<ChannelStats, 'delivered' | 'buffered' | 'duplicatesDropped' | 'outOfWindowDropped' | 'acksSent'>;

export class ReliableReceiver<T> {
  readonly #callbacks: ReceiverCallbacks<T>;
  readonly #tuning: Readonly<ReliabilityTuning>;
  /** Every seq up to and including this one has been received and delivered. */
  #cumulative = 0;
  /** Out-of-order items above the cumulative point, by seq. */
  readonly #buffer = new Map<number, T>();
  /** The seqs in #buffer as runs: ascending, disjoint, non-adjacent, all above cumulative + 1. */
  readonly #runs: Run[] = [];
  /** When the oldest receipt not yet covered by an ack arrived. */
  #ackPendingSince: number | undefined;
  /** When the latest ack went out. */
  #lastAckAt: number | undefined;
  /** New datagrams (in order or not) received since the latest ack. */
  #receivedSinceAck = 0;

  #delivered = 0;
  #duplicatesDropped = 0;
  #outOfWindowDropped = 0;
  #acksSent = 0;

  constructor(callbacks: ReceiverCallbacks<T>, tuning: Readonly<ReliabilityTuning>) {
    this.#callbacks = callbacks;
    this.#tuning = tuning;
  }

  /** The receiver's part of ChannelStats. */
  get counts(): ReceiverCounts {
    return {
      delivered: this.#delivered,
      buffered: this.#buffer.size,
      duplicatesDropped: this.#duplicatesDropped,
      outOfWindowDropped: this.#outOfWindowDropped,
      acksSent: this.#acksSent,
    };
  }

  /** When a held ack must go out, or undefined when none is held. */
  ackDeadline(): number | undefined {
    return this.#ackPendingSince === undefined ? undefined : this.#ackPendingSince + this.#tuning.maxAckDelayMs;
  }

  /** A data datagram from the peer. */
  receive(seq: number, item: T, now: number): void {
    if (!isSequenceNumber(seq)) return;
    if (seq <= this.#cumulative || this.#buffer.has(seq)) {
      // The sender resent it, so our ack may have been lost: say again what we have. At once, unless an ack went
      // out less than maxAckDelayMs ago: then the held ack says it by that deadline. A sender that resends its
      // whole window (its acks were late, not lost) gets one ack per delay, not one per duplicate, which would
      // bury it under the very acks it was late reading.
      this.#duplicatesDropped++;
      if (this.#lastAckAt === undefined || now - this.#lastAckAt >= this.#tuning.maxAckDelayMs) this.#sendAck(now);
      else this.#ackPendingSince ??= now;
      return;
    }
    if (seq > this.#cumulative + this.#tuning.receiveWindowPackets) {
      this.#outOfWindowDropped++;
      return;
    }
    this.#ackPendingSince ??= now;
    if (seq !== this.#cumulative + 1) {
      const highest = this.#runs.at(-1)?.last ?? this.#cumulative;
      this.#buffer.set(seq, item);
      this.#insertRun(seq);
      this.#receivedSinceAck++;
      // As QUIC does (RFC 9000 §13.2.1), an ack goes out at once only on news of a hole: a datagram past a new gap,
      // or one below the highest received (a hole filling). One that only extends the highest run above a known
      // hole says nothing new; acking each of those at once made a 20 % lossy link carry an ack per datagram.
      if (seq !== highest + 1 || this.#receivedSinceAck >= this.#tuning.ackEveryPackets) this.#sendAck(now);
      return;
    }
    const filledGap = this.#buffer.size > 0;
    const ready = [item];
    this.#cumulative = seq;
    const next = this.#runs[0];
    if (next !== undefined && next.first === seq + 1) {
      for (let buffered = next.first; buffered <= next.last; buffered++) {
        ready.push(this.#buffer.get(buffered) as T);
        this.#buffer.delete(buffered);
      }
      this.#cumulative = next.last;
      this.#runs.shift();
    }
    this.#receivedSinceAck++;
    this.#delivered += ready.length;
    if (filledGap || this.#receivedSinceAck >= this.#tuning.ackEveryPackets) this.#sendAck(now);
    this.#deliverAll(ready);
  }

  /** Sends the held ack if it is due at `now`. */
  poll(now: number): void {
    const deadline = this.ackDeadline();
    if (deadline !== undefined && now >= deadline) this.#sendAck(now);
  }

  /** Hands over a batch the cumulative point already passed: every item, whatever a callback throws. */
  #deliverAll(ready: readonly T[]): void {
    let failures: DeliveryFailure<T>[] | undefined;
    for (const item of ready) {
      try {
        this.#callbacks.deliver(item);
      } catch (error) {
        (failures ??= []).push({ error, item });
      }
    }
    if (failures === undefined) return;
    const onFailure = this.#callbacks.deliveryFailed;
    if (!onFailure) throw (failures[0] as DeliveryFailure<T>).error;
    for (const { error, item } of failures) onFailure.call(this.#callbacks, error, item);
  }

  /** Adds `seq` (above cumulative + 1, not yet held) to the runs, merging with its neighbours. */
  #insertRun(seq: number): void {
    const runs = this.#runs;
    let low = 0;
    let high = runs.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((runs[middle] as Run).first < seq) low = middle + 1;
      else high = middle;
    }
    const previous = runs[low - 1];
    const next = runs[low];
    const joinsPrevious = previous !== undefined && previous.last + 1 === seq;
    const joinsNext = next !== undefined && next.first - 1 === seq;
    if (previous && next && joinsPrevious && joinsNext) {
      previous.last = next.last;
      runs.splice(low, 1);
    } else if (previous && joinsPrevious) {
      previous.last = seq;
    } else if (next && joinsNext) {
      next.first = seq;
    } else {
      runs.splice(low, 0, { first: seq, last: seq });
    }
  }

  #sendAck(now: number): void {
    const ack: AckBody = {
      cumulative: this.#cumulative,
      window: this.#tuning.receiveWindowPackets - this.#buffer.size,
      delayMs: this.#ackPendingSince === undefined ? 0 : Math.max(0, now - this.#ackPendingSince),
      // When more runs exist than fit, the lowest matter most: they are the holes the sender must fill first.
      ranges: this.#runs.slice(0, MAX_ACK_RANGES).map(({ first, last }) => ({ first, last })),
    };
    this.#ackPendingSince = undefined;
    this.#lastAckAt = now;
    this.#receivedSinceAck = 0;
    this.#acksSent++;
    this.#callbacks.transmitAck(ack);
  }
}
