/**
 * ReliableChannel: one sender and one receiver behind the interface an edge uses. It owns no socket and no timer:
 * datagrams come in through `receiveData`/`receiveAck`, go out through the `transmit`/`transmitAck` callbacks, time
 * is always an argument (ms), and `nextWakeup()` says when `poll()` must run next.
 */
import type { AckBody } from '../types';
import { ReliableReceiver, type ReceiverCallbacks } from './receiver';
import type { Priority } from './send-queue';
import { ReliableSender, type SenderCallbacks, type UnacknowledgedItem } from './sender';
import type { ChannelStats } from './stats';
import { resolveTuning, type ReliabilityTuning } from './tuning';

export interface ReliableChannelOptions<T> extends SenderCallbacks<T>, ReceiverCallbacks<T> {
  /** Every constant is overridable; see DEFAULT_RELIABILITY_TUNING. */
  tuning?: Partial<ReliabilityTuning>;
}

export class ReliableChannel<T> {
  readonly #tuning: Readonly<ReliabilityTuning>;
  readonly #sender: ReliableSender<T>;
  readonly #receiver: ReliableReceiver<T>;
  /** The latest time seen; a caller's clock that steps back is treated as standing still. */
  #now: number;

  constructor(options: ReliableChannelOptions<T>, now: number) {
    this.#tuning = resolveTuning(options.tuning);
    this.#now = now;
    // Both halves call back on the options object itself, so a callback's `this` is what the edge gave.
    this.#sender = new ReliableSender(options, this.#tuning);
    this.#receiver = new ReliableReceiver(options, this.#tuning);
  }

  get tuning(): Readonly<ReliabilityTuning> {
    return this.#tuning;
  }

  /** True once sequence numbers run low: send() refuses and the edge must start a new session. */
  get exhausted(): boolean {
    return this.#sender.exhausted;
  }

  /** Nothing queued and nothing the peer has not delivered. */
  get idle(): boolean {
    return this.#sender.idle;
  }

  get stats(): ChannelStats {
    const rtt = this.#sender.rtt;
    const sent = this.#sender.counts;
    const received = this.#receiver.counts;
    return {
      srttMs: rtt.smoothedMs,
      pathRttMs: rtt.pathMs,
      rttVarianceMs: rtt.varianceMs,
      rtoMs: rtt.rtoMs,
      backoff: this.#sender.backoff,
      sent: sent.sent,
      retransmitted: sent.retransmitted,
      lossPercent: sent.sent === 0 ? 0 : (sent.retransmitted / sent.sent) * 100,
      timeouts: sent.timeouts,
      inFlight: sent.inFlight,
      selectivelyAcked: sent.selectivelyAcked,
      queued: sent.queued,
      queuedBytes: sent.queuedBytes,
      peerWindow: sent.peerWindow,
      delivered: received.delivered,
      buffered: received.buffered,
      duplicatesDropped: received.duplicatesDropped,
      outOfWindowDropped: received.outOfWindowDropped,
      acksSent: received.acksSent,
      acksReceived: sent.acksReceived,
      acksIgnored: sent.acksIgnored,
    };
  }

  /**
   * Queue an item of `bytes` size; returns a ticket, or undefined when the send queue's byte or item budget is full
   * or sequence numbers are exhausted. The item is transmitted at once if the window has room.
   */
  send(item: T, bytes: number, priority: Priority, now: number): number | undefined {
    return this.#sender.send(item, bytes, priority, this.#advance(now));
  }

  /** A data datagram from the peer. Throws only what `deliver` threw, when no `deliveryFailed` is given. */
  receiveData(seq: number, item: T, now: number): void {
    this.#receiver.receive(seq, item, this.#advance(now));
  }

  /** An acknowledgement from the peer. Stale, reordered, duplicated or hostile acks are harmless. */
  receiveAck(ack: AckBody, now: number): void {
    this.#sender.receiveAck(ack, this.#advance(now));
  }

  /** Run what is due: delayed acks, retransmissions, window filling. Safe to call at any time. */
  poll(now: number): void {
    now = this.#advance(now);
    this.#receiver.poll(now);
    this.#sender.poll(now);
  }

  /** The absolute time poll() must next run, or undefined when nothing is pending. */
  nextWakeup(): number | undefined {
    let next: number | undefined;
    for (const at of [this.#receiver.ackDeadline(), this.#sender.timerDeadline(), this.#sender.lossDeadline()]) {
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /**
   * Items the peer has not delivered, with their tickets: sent ones first (in seq order, the selectively acknowledged
   * among them, which the peer's receiver loses if it goes), then queued (in the order given to send()), so an edge
   * can re-send them on a new channel after reconnecting and nothing the old receiver held out of order is lost.
   */
  unacknowledged(): UnacknowledgedItem<T>[] {
    return this.#sender.unacknowledged();
  }

  #advance(now: number): number {
    if (Number.isFinite(now) && now > this.#now) this.#now = now;
    return this.#now;
  }
}
