/**
 * The sending half of a channel: queues items by priority, numbers them as they enter the window, resends what
 * loss detection or the retransmission timer says is lost, and reports each ticket once the peer has delivered it
 * (its cumulative point passed it). It probes a peer that advertises a zero window. Time is an argument; the channel
 * keeps it from stepping back.
 *
 * A selective ack only says the peer holds a datagram out of order: it is not resent, but it stays the sender's
 * until the cumulative point passes it, because a receiver that goes away (a new session, a restarted peer) loses
 * what it held. So `unacknowledged()` still lists it and its ticket is not yet reported.
 */
import { MAX_ACK_RANGES } from '../codec';
import type { AckBody } from '../types';
import { LossDetector } from './loss-detection';
import { RetransmissionTimer } from './retransmission-timer';
import { RttEstimator } from './rtt-estimator';
import { SendQueue, isPriority, type Priority, type Queued } from './send-queue';
import { SequenceWindow, type Outstanding } from './send-window';
import type { ChannelStats } from './stats';
import { MAX_SEQUENCE, isSequenceNumber, type ReliabilityTuning } from './tuning';

/** What the sender calls back; part of ReliableChannelOptions. They run synchronously and may call send(). */
export interface SenderCallbacks<T> {
  /** Put a data datagram with this seq on the wire. */
  transmit(seq: number, item: T, isRetransmission: boolean): void;
  /** An item given to send() was delivered by the peer: its cumulative ack covers it (once per ticket). */
  acknowledged?(ticket: number): void;
}

export interface UnacknowledgedItem<T> {
  ticket: number;
  item: T;
  priority: Priority;
}

/** The counters the sender keeps (ChannelStats says what each means). */
export type SenderCounts = Pick<
  ChannelStats,
  'sent' | 'retransmitted' | 'timeouts' | 'inFlight' | 'selectivelyAcked' | 'queued' | 'queuedBytes' | 'peerWindow' | 'acksReceived' | 'acksIgnored'
>;

export class ReliableSender<T> {
  readonly #callbacks: SenderCallbacks<T>;
  readonly #tuning: Readonly<ReliabilityTuning>;
  readonly #queue = new SendQueue<T>();
  #nextTicket = 1;
  #nextSeq = 1;
  #transmissionCount = 0;
  /** Unacknowledged datagrams by seq. */
  readonly #inFlight = new SequenceWindow<Outstanding<T>>();
  /**
   * Selectively acknowledged datagrams above the peer's cumulative point, by seq: out of the window (never resent)
   * but not yet delivered by the peer. At most 2 × sendWindowPackets (see #fillWindow).
   */
  readonly #held = new Map<number, Outstanding<T>>();
  #peerWindow: number;
  /** The highest cumulative point the peer reported: window updates from older (reordered) acks are ignored. */
  #peerCumulative = 0;
  readonly #rtt: RttEstimator;
  readonly #loss: LossDetector;
  readonly #timer: RetransmissionTimer;

  #sent = 0;
  #retransmitted = 0;
  #timeouts = 0;
  #acksReceived = 0;
  #acksIgnored = 0;

  constructor(callbacks: SenderCallbacks<T>, tuning: Readonly<ReliabilityTuning>) {
    this.#callbacks = callbacks;
    this.#tuning = tuning;
    // Until the peer says otherwise, assume it can take a full window (both ends share the defaults).
    this.#peerWindow = tuning.sendWindowPackets;
    this.#rtt = new RttEstimator(tuning);
    this.#loss = new LossDetector(tuning, this.#rtt);
    this.#timer = new RetransmissionTimer(tuning, this.#rtt);
  }

  get rtt(): RttEstimator {
    return this.#rtt;
  }

  get backoff(): number {
    return this.#timer.backoff;
  }

  /** True once sequence numbers run low: send() refuses and the edge must start a new session. */
  get exhausted(): boolean {
    return this.#nextSeq - 1 >= this.#tuning.sequenceHighWater;
  }

  /** Nothing queued and nothing the peer has not delivered. */
  get idle(): boolean {
    return this.#queue.count === 0 && this.#inFlight.size === 0 && this.#held.size === 0;
  }

  /** The sender's part of ChannelStats. */
  get counts(): SenderCounts {
    return {
      sent: this.#sent,
      retransmitted: this.#retransmitted,
      timeouts: this.#timeouts,
      inFlight: this.#inFlight.size,
      selectivelyAcked: this.#held.size,
      queued: this.#queue.count,
      queuedBytes: this.#queue.bytes,
      peerWindow: this.#peerWindow,
      acksReceived: this.#acksReceived,
      acksIgnored: this.#acksIgnored,
    };
  }

  /** See ReliableChannel.send. */
  send(item: T, bytes: number, priority: Priority, now: number): number | undefined {
    if (!isPriority(priority)) throw new RangeError(`unknown priority ${String(priority)}`);
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`item size ${bytes} is not a byte count`);
    if (this.exhausted) return undefined;
    if (this.#queue.bytes + bytes > this.#tuning.maxQueuedBytes) return undefined;
    if (this.#queue.count >= this.#tuning.maxQueuedItems) return undefined;
    const ticket = this.#nextTicket++;
    this.#queue.push({ ticket, item, bytes, priority });
    this.#fillWindow(now);
    this.#updateTimer(now, false);
    return ticket;
  }

  /** An acknowledgement from the peer. Stale, reordered, duplicated or hostile acks are harmless. */
  receiveAck(ack: AckBody, now: number): void {
    this.#acksReceived++;
    if (!this.#isPlausibleAck(ack)) {
      this.#acksIgnored++;
      return;
    }
    const cumulative = Math.max(this.#peerCumulative, ack.cumulative);
    const acknowledged = this.#removeAcknowledged(ack);
    let progress = acknowledged.length > 0;
    if (ack.cumulative >= this.#peerCumulative) {
      // The newest news: believe its window and its picture of what is missing (older acks may be reordered).
      const wasClosed = this.#peerWindow === 0;
      this.#peerCumulative = ack.cumulative;
      this.#peerWindow = Math.max(0, Math.floor(ack.window));
      if (wasClosed && this.#peerWindow > 0) progress = true;
      this.#loss.believe(ack);
    }
    if (acknowledged.length > 0) this.#learnFromAcknowledged(acknowledged, ack.delayMs, now);
    if (progress) this.#timer.resetBackoff();
    this.#retransmitLost(now);
    this.#fillWindow(now);
    this.#updateTimer(now, progress);
    this.#reportAcknowledged(this.#delivered(acknowledged, cumulative));
  }

  /**
   * Of the datagrams an ack just took out of the window, holds those above the peer's cumulative point; returns
   * those at or below it, with every held one it now passes, in seq order.
   */
  #delivered(acknowledged: readonly Outstanding<T>[], cumulative: number): Outstanding<T>[] {
    const delivered: Outstanding<T>[] = [];
    for (const entry of acknowledged) {
      if (entry.seq <= cumulative) delivered.push(entry);
      else this.#held.set(entry.seq, entry);
    }
    if (this.#held.size === 0) return delivered;
    let released = false;
    for (const [seq, entry] of this.#held) {
      if (seq > cumulative) continue;
      this.#held.delete(seq);
      delivered.push(entry);
      released = true;
    }
    if (released) delivered.sort((a, b) => a.seq - b.seq);
    return delivered;
  }

  /**
   * Tells the edge of every acknowledged ticket, whatever a callback throws: these datagrams have left the window,
   * so a ticket not reported now would never be. The first error is thrown once all are reported.
   */
  #reportAcknowledged(acknowledged: readonly Outstanding<T>[]): void {
    const onAcknowledged = this.#callbacks.acknowledged;
    if (!onAcknowledged) return;
    let failed: { error: unknown } | undefined;
    for (const entry of acknowledged) {
      try {
        onAcknowledged.call(this.#callbacks, entry.ticket);
      } catch (error) {
        failed ??= { error };
      }
    }
    if (failed) throw failed.error;
  }

  /** Runs what is due at `now`: losses found by time, the retransmission timer, window filling. */
  poll(now: number): void {
    const lossDeadline = this.#loss.deadline;
    if (lossDeadline !== undefined && now >= lossDeadline) this.#retransmitLost(now);
    const timerDeadline = this.timerDeadline();
    if (timerDeadline !== undefined && now >= timerDeadline) this.#onTimeout(now);
    this.#fillWindow(now);
    this.#updateTimer(now, false);
  }

  timerDeadline(): number | undefined {
    return this.#timer.deadline(this.#peerWindow);
  }

  lossDeadline(): number | undefined {
    return this.#loss.deadline;
  }

  /**
   * What the peer has not delivered: in flight and selectively acknowledged (together, in seq order), then queued
   * (in the order given to send()).
   */
  unacknowledged(): UnacknowledgedItem<T>[] {
    const summary = ({ ticket, item, priority }: Queued<T>): UnacknowledgedItem<T> => ({ ticket, item, priority });
    const sent = this.#inFlight.oldest();
    if (this.#held.size > 0) {
      sent.push(...this.#held.values());
      sent.sort((a, b) => a.seq - b.seq);
    }
    return [...sent.map(summary), ...this.#queue.inSendOrder().map(summary)];
  }

  /** Moves queued items into the window while it has room: urgent first, then normal, then bulk. */
  #fillWindow(now: number): void {
    const limit = Math.min(this.#tuning.sendWindowPackets, this.#peerWindow);
    // A peer that selectively acks without ever delivering gets no more than another window's worth kept for it.
    const heldLimit = 2 * this.#tuning.sendWindowPackets;
    while (this.#inFlight.size < limit && this.#inFlight.size + this.#held.size < heldLimit && this.#enterWindow(now)) {
      // each pass transmitted one new datagram
    }
  }

  /** Assigns the next seq to the next queued item and transmits it; false when there is nothing to send. */
  #enterWindow(now: number): boolean {
    if (this.#nextSeq > MAX_SEQUENCE) return false;
    const queued = this.#queue.shift();
    if (!queued) return false;
    const transmission = ++this.#transmissionCount;
    // Spelled out rather than spread: this runs once per datagram, and a spread copy costs several times more.
    const entry: Outstanding<T> = {
      ticket: queued.ticket,
      item: queued.item,
      bytes: queued.bytes,
      priority: queued.priority,
      seq: this.#nextSeq++,
      firstSentAt: now,
      lastSentAt: now,
      firstTransmission: transmission,
      lastTransmission: transmission,
      transmissions: 1,
      lastSentByTimer: false,
    };
    this.#inFlight.add(entry.seq, entry);
    this.#sent++;
    this.#callbacks.transmit(entry.seq, entry.item, false);
    return true;
  }

  #retransmit(entry: Outstanding<T>, now: number, byTimer: boolean): void {
    entry.lastSentAt = now;
    entry.lastSentByTimer = byTimer;
    entry.lastTransmission = ++this.#transmissionCount;
    entry.transmissions++;
    this.#sent++;
    this.#retransmitted++;
    this.#callbacks.transmit(entry.seq, entry.item, true);
  }

  /** An ack that talks about sequence numbers we never sent, or is malformed, is ignored whole. */
  #isPlausibleAck(ack: AckBody): boolean {
    const highestSent = this.#nextSeq - 1;
    if (!Number.isInteger(ack.cumulative) || ack.cumulative < 0 || ack.cumulative > highestSent) return false;
    if (!Number.isFinite(ack.window) || !Array.isArray(ack.ranges)) return false;
    for (const range of ack.ranges.slice(0, MAX_ACK_RANGES)) {
      if (!isSequenceNumber(range.first) || !isSequenceNumber(range.last)) return false;
      if (range.first > range.last || range.last > highestSent) return false;
    }
    return true;
  }

  /** Removes every datagram the ack covers from the window and returns them in seq order. */
  #removeAcknowledged(ack: AckBody): Outstanding<T>[] {
    const acknowledged: Outstanding<T>[] = [];
    const window = this.#inFlight;
    const take = (from: number, to: number): void => {
      // Clamped to what is in flight: each range costs at most the window's span, however wide it claims to be.
      for (let seq = Math.max(from, window.low), end = Math.min(to, window.high - 1); seq <= end; seq++) {
        const entry = window.delete(seq);
        if (entry) acknowledged.push(entry);
      }
    };
    take(1, ack.cumulative);
    let sorted = true;
    // Only the first MAX_ACK_RANGES count.
    for (const { first, last } of ack.ranges.slice(0, MAX_ACK_RANGES)) {
      const before = acknowledged.length;
      take(first, last);
      const previous = acknowledged[before - 1];
      const firstNew = acknowledged[before];
      if (previous && firstNew && firstNew.seq < previous.seq) sorted = false;
    }
    if (!sorted) acknowledged.sort((a, b) => a.seq - b.seq);
    return acknowledged;
  }

  /** Takes an RTT sample (Karn: never from a retransmitted datagram) and moves the loss-detection reference. */
  #learnFromAcknowledged(acknowledged: Outstanding<T>[], ackDelayMs: number, now: number): void {
    const largest = acknowledged[acknowledged.length - 1] as Outstanding<T>;
    if (largest.transmissions === 1) this.#rtt.sample(now - largest.firstSentAt, ackDelayMs);
    this.#loss.acknowledged(acknowledged);
  }

  /** Resends what loss detection declares lost. */
  #retransmitLost(now: number): void {
    const lost = this.#loss.detect(this.#inFlight, now);
    for (const entry of lost) if (this.#inFlight.get(entry.seq) === entry) this.#retransmit(entry, now, false);
  }

  /**
   * The tail was lost (no ack came to reveal it) or the peer's window is shut: resend the oldest, and the newest
   * in flight as the last probe, then back off. The newest is TCP's tail loss probe (RFC 8985 §7.3): its ack shows
   * every hole below it, so loss detection resends the rest of a lost tail at once, where probes of the oldest
   * alone recover it two datagrams per timeout.
   */
  #onTimeout(now: number): void {
    this.#timeouts++;
    if (this.#inFlight.size > 0) {
      // A zero window admits one probe; otherwise a small burst, never the whole window.
      const burst = this.#peerWindow === 0 ? 1 : this.#tuning.rtoBurstPackets;
      const probes = this.#inFlight.oldest(burst);
      const newest = this.#inFlight.newest();
      if (burst > 1 && newest !== undefined && !probes.includes(newest)) probes[probes.length - 1] = newest;
      // Fewer in flight than the burst: the oldest goes again, as QUIC may send its probes (RFC 9002 §6.2.4), so
      // one lost copy does not cost a doubled timeout. A lone datagram at the peer's cumulative point, its window
      // full of what waits behind it, is exactly the one that can least afford that.
      while (probes.length < burst && probes[0] !== undefined) probes.push(probes[0]);
      for (const entry of probes) if (this.#inFlight.get(entry.seq) === entry) this.#retransmit(entry, now, true);
    } else if (this.#peerWindow === 0) {
      // Nothing in flight to resend: one new item probes the window (its ack carries the reopened window).
      this.#enterWindow(now);
    }
    this.#timer.expired(now);
  }

  /** Starts the retransmission timer when something needs it, stops it when nothing does. */
  #updateTimer(now: number, restart: boolean): void {
    const blockedByWindow = this.#queue.count > 0 && this.#peerWindow === 0 && this.#nextSeq <= MAX_SEQUENCE;
    this.#timer.update(now, this.#inFlight.size > 0 || blockedByWindow, restart);
  }
}
