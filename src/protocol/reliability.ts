/**
 * A per-hop reliable, ordered channel: the ARQ core of UDP Chat, in the style of KCP and quic-go's ackhandler.
 *
 * It owns no socket and no timer. Datagrams come in through `receiveData`/`receiveAck`, go out through the
 * `transmit`/`transmitAck` callbacks, time is always an argument (ms, never decreasing), and `nextWakeup()` says
 * when `poll()` must run next. One instance per peer on each side; it never looks inside the items it carries.
 *
 * Sender: items wait in three FIFO queues (urgent, normal, bulk) and get a sequence number only when they enter the
 * send window, so a text never waits behind a 10 MB image. Loss is detected as in QUIC (RFC 9002 §6.1): a datagram
 * is lost once a datagram transmitted `packetThreshold` transmissions after it is acknowledged, or once it has been
 * out for `timeThreshold` round trips while a later one was acknowledged; only lost datagrams are resent. A
 * retransmission keeps its sequence number but gets a new transmission number (QUIC's packet number), and loss
 * detection compares transmission numbers, so repeated selective acks cannot resend a datagram twice in one round
 * trip. Two cautions keep reordering from causing storms: an ack for a resent datagram counts as evidence only for
 * its first copy (it may be that copy, arriving late), and an ack cut to its MAX_ACK_RANGES lowest runs says nothing
 * about seqs above its last range. A copy resent on the timer is taken to be the one that arrived, but a datagram
 * above the highest seq an ack reports received is declared lost only once it has been out for a whole
 * retransmission timeout, never by count: nothing shows the receiver skipped it. A retransmission timer (RFC 6298
 * estimator plus the peer's ack delay, exponential backoff) resends the oldest datagrams when the tail is lost, and
 * probes a peer that advertises a zero window.
 *
 * Receiver: delivers in order, exactly once; buffers out-of-order datagrams within its window; acknowledges
 * cumulatively plus up to MAX_ACK_RANGES selective ranges; delays acks (every `ackEveryPackets` datagrams or after
 * `maxAckDelayMs`) unless a gap or a duplicate calls for one at once.
 *
 * Sequence numbers never wrap: once `exhausted` is true the edge must start a new session and re-send
 * `unacknowledged()` on it. Callbacks run synchronously and must not throw; they may call `send()`.
 */
import { MAX_ACK_RANGES } from './codec';
import type { AckBody } from './types';

/** urgent: control (leave, notices); normal: text; bulk: image fragments. */
export type Priority = 'urgent' | 'normal' | 'bulk';

/** The order in which queued items enter the send window. */
const PRIORITY_ORDER: readonly Priority[] = ['urgent', 'normal', 'bulk'];

/** Largest sequence number the u32 wire field carries; a channel never assigns a larger one (it never wraps). */
export const MAX_SEQUENCE = 0xffff_ffff;

/** The advertised window travels in a u16 field. */
const MAX_ADVERTISED_WINDOW = 0xffff;

/** 2^30 times any RTO is far beyond maxRtoMs; capping the exponent keeps the product finite. */
const MAX_BACKOFF_EXPONENT = 30;

export interface ReliabilityTuning {
  /** Most datagrams in flight (unacknowledged) at once; the only brake, as there is no congestion control. */
  sendWindowPackets: number;
  /** Out-of-order datagrams buffered above the cumulative point; anything further ahead is dropped. */
  receiveWindowPackets: number;
  /** A delayed ack goes out after this many new in-order datagrams... */
  ackEveryPackets: number;
  /** ...or this long (ms) after the first of them arrived, whichever comes first. Both ends use the same value. */
  maxAckDelayMs: number;
  /** Retransmission timeout (ms) before any round trip has been measured. */
  initialRtoMs: number;
  /** Smallest retransmission timeout (ms). */
  minRtoMs: number;
  /**
   * Smallest probe timeout (ms): the first expiry of the timer after progress comes after
   * max(srtt + 4·rttvar + maxAckDelayMs, this) rather than the full retransmission timeout (QUIC's PTO, RFC 9002
   * §6.2, TCP's tail loss probe): a lost tail is found in a round trip, not after minRtoMs.
   */
  minProbeTimeoutMs: number;
  /** Largest retransmission timeout (ms), also the cap of the backed-off timer. */
  maxRtoMs: number;
  /** Clock granularity (ms): G of RFC 6298, kGranularity of RFC 9002. */
  clockGranularityMs: number;
  /** kPacketThreshold of RFC 9002: lost once a datagram this many transmissions later is acknowledged. */
  packetThreshold: number;
  /** kTimeThreshold of RFC 9002: lost once out this many round trips while a later datagram was acknowledged. */
  timeThreshold: number;
  /** Oldest datagrams resent when the retransmission timer expires. */
  rtoBurstPackets: number;
  /** Bytes (as given to send()) waiting to enter the window; send() refuses beyond. */
  maxQueuedBytes: number;
  /** Items waiting to enter the window; send() refuses beyond. */
  maxQueuedItems: number;
  /** Once this sequence number has been assigned, `exhausted` is true and send() refuses. */
  sequenceHighWater: number;
}

export const DEFAULT_RELIABILITY_TUNING: Readonly<ReliabilityTuning> = Object.freeze({
  // 256 × 1,200 B = 300 KB in flight: at a 1 ms LAN round trip that outruns any link, yet bounds memory and bursts.
  sendWindowPackets: 256,
  // Twice the send window: a whole window still fits behind a hole while its retransmission is on the way.
  receiveWindowPackets: 512,
  // A relay fanning out 1,000 msg/s to 100 members gets ~6,000 acks/s instead of 100,000; measured in bench:relay,
  // halving the acks from every 8 datagrams cut the relay's CPU by a seventh.
  ackEveryPackets: 16,
  // Batches a burst, yet small next to minRtoMs so a lone datagram's ack never looks like a loss.
  maxAckDelayMs: 20,
  // Before any sample; a LAN answers in about a millisecond, so this only governs a loss in the first round trip.
  initialRtoMs: 300,
  // Below this, loopback jitter (GC pauses, event-loop stalls) fakes losses. The ack delay is added on top.
  minRtoMs: 100,
  // The receiver may hold its ack for maxAckDelayMs (20 ms); a few ms more of event-loop jitter on top. A probe
  // that fires early costs one duplicate datagram, which the receiver drops.
  minProbeTimeoutMs: 25,
  // Keeps probing a silent peer every 5 s until the edge's heartbeat timeout (10 s) gives up on it.
  maxRtoMs: 5_000,
  // Timestamps are whole milliseconds.
  clockGranularityMs: 1,
  // RFC 9002: tolerates reordering by up to two datagrams before declaring a loss.
  packetThreshold: 3,
  // RFC 9002: 1/8 of a round trip of slack for delay variation before declaring a loss.
  timeThreshold: 9 / 8,
  // QUIC sends two probes on a PTO: one of them probably gets through, and it is not a window-sized storm.
  rtoBurstPackets: 2,
  // Six 10 MB images plus chat: a generous bound per peer; a relay with many members may lower it.
  maxQueuedBytes: 64 * 1024 * 1024,
  // Bounds bookkeeping when items are tiny; 64 MiB of full fragments (1,156 B) is about 58,000 items.
  maxQueuedItems: 65_536,
  // Leaves 131,071 numbers: more than maxQueuedItems + a window, so everything accepted still gets one.
  sequenceHighWater: 0xfffe_0000,
});

export interface ReliableChannelOptions<T> {
  /** Put a data datagram with this seq on the wire. */
  transmit(seq: number, item: T, isRetransmission: boolean): void;
  /** Put an acknowledgement on the wire. */
  transmitAck(ack: AckBody): void;
  /** Received items, in sequence order, each exactly once. */
  deliver(item: T): void;
  /** An item given to send() is acknowledged by the peer (once per ticket). */
  acknowledged?(ticket: number): void;
  /** Every constant is overridable; see DEFAULT_RELIABILITY_TUNING. */
  tuning?: Partial<ReliabilityTuning>;
}

export interface ChannelStats {
  /** Smoothed round-trip time (ms); undefined until the first sample. */
  srttMs: number | undefined;
  /** RTTVAR of RFC 6298 (ms); undefined until the first sample. */
  rttVarianceMs: number | undefined;
  /** Retransmission timeout (ms) before backoff. */
  rtoMs: number;
  /** Consecutive retransmission timeouts without progress: the timer runs for rtoMs × 2^this (capped). */
  backoff: number;
  /** Data transmissions, retransmissions included. */
  sent: number;
  retransmitted: number;
  /** retransmitted / sent × 100 (0 before anything was sent). */
  lossPercent: number;
  /** Retransmission timer expiries. */
  timeouts: number;
  inFlight: number;
  queued: number;
  queuedBytes: number;
  /** The window the peer last advertised. */
  peerWindow: number;
  delivered: number;
  /** Out-of-order datagrams held by the receiver. */
  buffered: number;
  duplicatesDropped: number;
  /** Datagrams beyond the receive window, dropped without acknowledgement. */
  outOfWindowDropped: number;
  acksSent: number;
  acksReceived: number;
  /** Acks that claimed sequence numbers never sent, or were malformed, and were ignored whole. */
  acksIgnored: number;
}

export interface UnacknowledgedItem<T> {
  ticket: number;
  item: T;
  priority: Priority;
}

interface Queued<T> {
  ticket: number;
  item: T;
  bytes: number;
  priority: Priority;
}

interface Outstanding<T> extends Queued<T> {
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

/** A run of sequence numbers received above the cumulative point. */
interface Run {
  first: number;
  last: number;
}

/** A FIFO with O(1) shift: an array and a head index, compacted once the dead prefix dominates. */
class Fifo<V> implements Iterable<V> {
  #items: (V | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(value: V): void {
    this.#items.push(value);
  }

  shift(): V | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const value = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return value;
  }

  *[Symbol.iterator](): Iterator<V> {
    for (let index = this.#head; index < this.#items.length; index++) yield this.#items[index] as V;
  }
}

/**
 * The datagrams in flight, by sequence number: a ring of slots from the lowest unacknowledged seq up. Sequence
 * numbers are assigned in order and mostly acknowledged in order, so finding the oldest (every ack looks there)
 * costs nothing, unlike a Map, whose iteration walks over every entry deleted since its last rehash.
 */
class SequenceWindow<E> {
  #slots: (E | undefined)[] = new Array<E | undefined>(64);
  #mask = 63;
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

  #grow(): void {
    const slots = new Array<E | undefined>(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let seq = this.#low; seq < this.#high; seq++) slots[seq & mask] = this.#slots[seq & this.#mask];
    this.#slots = slots;
    this.#mask = mask;
  }
}

function isSequenceNumber(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_SEQUENCE;
}

/** The highest seq an ack reports received. */
function highestReceived(ack: AckBody): number {
  let highest = ack.cumulative;
  for (const range of ack.ranges.slice(0, MAX_ACK_RANGES)) highest = Math.max(highest, range.last);
  return highest;
}

/** The highest seq an ack gives the full picture of: all of them unless it was cut to MAX_ACK_RANGES runs. */
function describedUpTo(ack: AckBody): number {
  return ack.ranges.length < MAX_ACK_RANGES ? MAX_SEQUENCE : highestReceived(ack);
}

function validateTuning(tuning: ReliabilityTuning): void {
  const positiveIntegers: (keyof ReliabilityTuning)[] = [
    'sendWindowPackets',
    'receiveWindowPackets',
    'ackEveryPackets',
    'packetThreshold',
    'rtoBurstPackets',
    'maxQueuedItems',
    'sequenceHighWater',
  ];
  for (const key of positiveIntegers) {
    if (!Number.isInteger(tuning[key]) || tuning[key] < 1) throw new RangeError(`${key} must be a positive integer`);
  }
  const nonNegative: (keyof ReliabilityTuning)[] = ['maxAckDelayMs', 'maxQueuedBytes', 'clockGranularityMs'];
  for (const key of nonNegative) {
    if (!Number.isFinite(tuning[key]) || tuning[key] < 0) throw new RangeError(`${key} must be a finite number ≥ 0`);
  }
  const positive: (keyof ReliabilityTuning)[] = ['initialRtoMs', 'minRtoMs', 'minProbeTimeoutMs', 'maxRtoMs', 'timeThreshold'];
  for (const key of positive) {
    if (!Number.isFinite(tuning[key]) || tuning[key] <= 0) throw new RangeError(`${key} must be a finite number > 0`);
  }
  if (tuning.minRtoMs > tuning.maxRtoMs) throw new RangeError('minRtoMs must not exceed maxRtoMs');
  if (tuning.receiveWindowPackets > MAX_ADVERTISED_WINDOW) {
    throw new RangeError(`receiveWindowPackets must fit the u16 window field (≤ ${MAX_ADVERTISED_WINDOW})`);
  }
  if (tuning.sequenceHighWater > MAX_SEQUENCE) throw new RangeError('sequenceHighWater must fit in u32');
}

export class ReliableChannel<T> {
  readonly #options: ReliableChannelOptions<T>;
  readonly #tuning: Readonly<ReliabilityTuning>;
  /** The latest time seen; a caller's clock that steps back is treated as standing still. */
  #now: number;

  // ---- sender ----
  readonly #queues: Record<Priority, Fifo<Queued<T>>> = { urgent: new Fifo(), normal: new Fifo(), bulk: new Fifo() };
  #queuedCount = 0;
  #queuedBytes = 0;
  #nextTicket = 1;
  #nextSeq = 1;
  #transmissionCount = 0;
  /** Unacknowledged datagrams by seq. */
  readonly #inFlight = new SequenceWindow<Outstanding<T>>();
  #peerWindow: number;
  /** The highest cumulative point the peer reported: window updates from older (reordered) acks are ignored. */
  #peerCumulative = 0;
  /** The latest transmission known to have arrived: the reference point of loss detection. */
  #largestAckedTransmission = 0;
  /**
   * Seqs up to here were described by the latest ack: anything of them still in flight was missing. An ack cut to
   * its MAX_ACK_RANGES lowest runs says nothing above its last range, and silence is not evidence of loss there.
   */
  #describedUpTo = 0;
  /**
   * The highest seq the latest ack shows received. Below it the receiver has skipped what it lacks, and the usual
   * thresholds apply. Above it the only "later" datagram can be a timer probe, whose ack may be for an earlier copy
   * that a stalled receiver is only now getting to: there a datagram is lost only once out for a whole timeout.
   */
  #receivedUpTo = 0;
  #smoothedRtt: number | undefined;
  #rttVariance: number | undefined;
  #latestRtt: number | undefined;
  #minRtt: number | undefined;
  #rto: number;
  #backoff = 0;
  /** When the retransmission timer was (re)started; undefined while it is stopped. */
  #timerStartedAt: number | undefined;
  /** When an unacknowledged datagram crosses the time threshold; undefined when none is close to it. */
  #lossDeadline: number | undefined;

  // ---- receiver ----
  /** Every seq up to and including this one has been received and delivered. */
  #cumulative = 0;
  /** Out-of-order items above the cumulative point, by seq. */
  readonly #buffer = new Map<number, T>();
  /** The seqs in #buffer as runs: ascending, disjoint, non-adjacent, all above cumulative + 1. */
  readonly #runs: Run[] = [];
  /** When the oldest receipt not yet covered by an ack arrived. */
  #ackPendingSince: number | undefined;
  #inOrderSinceAck = 0;

  // ---- counters ----
  #sent = 0;
  #retransmitted = 0;
  #timeouts = 0;
  #delivered = 0;
  #duplicatesDropped = 0;
  #outOfWindowDropped = 0;
  #acksSent = 0;
  #acksReceived = 0;
  #acksIgnored = 0;

  constructor(options: ReliableChannelOptions<T>, now: number) {
    this.#options = options;
    const tuning = { ...DEFAULT_RELIABILITY_TUNING, ...options.tuning };
    validateTuning(tuning);
    this.#tuning = Object.freeze(tuning);
    this.#now = now;
    // Until the peer says otherwise, assume it can take a full window (both ends share the defaults).
    this.#peerWindow = tuning.sendWindowPackets;
    this.#rto = Math.min(Math.max(tuning.initialRtoMs, tuning.minRtoMs), tuning.maxRtoMs);
  }

  get tuning(): Readonly<ReliabilityTuning> {
    return this.#tuning;
  }

  /** True once sequence numbers run low: send() refuses and the edge must start a new session. */
  get exhausted(): boolean {
    return this.#nextSeq - 1 >= this.#tuning.sequenceHighWater;
  }

  /** Nothing queued and nothing unacknowledged. */
  get idle(): boolean {
    return this.#queuedCount === 0 && this.#inFlight.size === 0;
  }

  get stats(): ChannelStats {
    return {
      srttMs: this.#smoothedRtt,
      rttVarianceMs: this.#rttVariance,
      rtoMs: this.#rto,
      backoff: this.#backoff,
      sent: this.#sent,
      retransmitted: this.#retransmitted,
      lossPercent: this.#sent === 0 ? 0 : (this.#retransmitted / this.#sent) * 100,
      timeouts: this.#timeouts,
      inFlight: this.#inFlight.size,
      queued: this.#queuedCount,
      queuedBytes: this.#queuedBytes,
      peerWindow: this.#peerWindow,
      delivered: this.#delivered,
      buffered: this.#buffer.size,
      duplicatesDropped: this.#duplicatesDropped,
      outOfWindowDropped: this.#outOfWindowDropped,
      acksSent: this.#acksSent,
      acksReceived: this.#acksReceived,
      acksIgnored: this.#acksIgnored,
    };
  }

  /**
   * Queue an item of `bytes` size; returns a ticket, or undefined when the send queue's byte or item budget is full
   * or sequence numbers are exhausted. The item is transmitted at once if the window has room.
   */
  send(item: T, bytes: number, priority: Priority, now: number): number | undefined {
    now = this.#advance(now);
    if (!PRIORITY_ORDER.includes(priority)) throw new RangeError(`unknown priority ${String(priority)}`);
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`item size ${bytes} is not a byte count`);
    if (this.exhausted) return undefined;
    if (this.#queuedBytes + bytes > this.#tuning.maxQueuedBytes) return undefined;
    if (this.#queuedCount >= this.#tuning.maxQueuedItems) return undefined;
    const ticket = this.#nextTicket++;
    this.#queues[priority].push({ ticket, item, bytes, priority });
    this.#queuedCount++;
    this.#queuedBytes += bytes;
    this.#fillWindow(now);
    this.#updateTimer(now, false);
    return ticket;
  }

  /** A data datagram from the peer. */
  receiveData(seq: number, item: T, now: number): void {
    now = this.#advance(now);
    if (!isSequenceNumber(seq)) return;
    if (seq <= this.#cumulative || this.#buffer.has(seq)) {
      // The sender resent it, so our ack may have been lost: say again what we have.
      this.#duplicatesDropped++;
      this.#sendAck(now);
      return;
    }
    if (seq > this.#cumulative + this.#tuning.receiveWindowPackets) {
      this.#outOfWindowDropped++;
      return;
    }
    this.#ackPendingSince ??= now;
    if (seq !== this.#cumulative + 1) {
      this.#buffer.set(seq, item);
      this.#insertRun(seq);
      // Gap evidence: the sender should learn of the hole at once.
      this.#sendAck(now);
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
    this.#inOrderSinceAck++;
    this.#delivered += ready.length;
    if (filledGap || this.#inOrderSinceAck >= this.#tuning.ackEveryPackets) this.#sendAck(now);
    for (const delivered of ready) this.#options.deliver(delivered);
  }

  /** An acknowledgement from the peer. Stale, reordered, duplicated or hostile acks are harmless. */
  receiveAck(ack: AckBody, now: number): void {
    now = this.#advance(now);
    this.#acksReceived++;
    if (!this.#isPlausibleAck(ack)) {
      this.#acksIgnored++;
      return;
    }
    const acknowledged = this.#removeAcknowledged(ack);
    let progress = acknowledged.length > 0;
    if (ack.cumulative >= this.#peerCumulative) {
      // The newest news: believe its window and its picture of what is missing (older acks may be reordered).
      const wasClosed = this.#peerWindow === 0;
      this.#peerCumulative = ack.cumulative;
      this.#peerWindow = Math.max(0, Math.floor(ack.window));
      if (wasClosed && this.#peerWindow > 0) progress = true;
      this.#describedUpTo = describedUpTo(ack);
      this.#receivedUpTo = highestReceived(ack);
    }
    if (acknowledged.length > 0) this.#learnFromAcknowledged(acknowledged, ack.delayMs, now);
    if (progress) this.#backoff = 0;
    this.#retransmitLost(now);
    this.#fillWindow(now);
    this.#updateTimer(now, progress);
    const onAcknowledged = this.#options.acknowledged;
    if (onAcknowledged) for (const entry of acknowledged) onAcknowledged.call(this.#options, entry.ticket);
  }

  /** Run what is due: delayed acks, retransmissions, window filling. Safe to call at any time. */
  poll(now: number): void {
    now = this.#advance(now);
    if (this.#ackPendingSince !== undefined && now >= this.#ackPendingSince + this.#tuning.maxAckDelayMs) {
      this.#sendAck(now);
    }
    if (this.#lossDeadline !== undefined && now >= this.#lossDeadline) this.#retransmitLost(now);
    const timerDeadline = this.#timerDeadline();
    if (timerDeadline !== undefined && now >= timerDeadline) this.#onTimeout(now);
    this.#fillWindow(now);
    this.#updateTimer(now, false);
  }

  /** The absolute time poll() must next run, or undefined when nothing is pending. */
  nextWakeup(): number | undefined {
    let next: number | undefined;
    const consider = (at: number | undefined): void => {
      if (at !== undefined && (next === undefined || at < next)) next = at;
    };
    if (this.#ackPendingSince !== undefined) consider(this.#ackPendingSince + this.#tuning.maxAckDelayMs);
    consider(this.#timerDeadline());
    consider(this.#lossDeadline);
    return next;
  }

  /**
   * Items not yet acknowledged, with their tickets: in flight first (in seq order), then queued (in the order given
   * to send()), so an edge can re-send them on a new channel after reconnecting.
   */
  unacknowledged(): UnacknowledgedItem<T>[] {
    const summary = ({ ticket, item, priority }: Queued<T>): UnacknowledgedItem<T> => ({ ticket, item, priority });
    const inFlight = this.#inFlight.oldest().map(summary);
    const queued = PRIORITY_ORDER.flatMap((priority) => [...this.#queues[priority]]).sort((a, b) => a.ticket - b.ticket);
    return [...inFlight, ...queued.map(summary)];
  }

  // ---- sender internals ----

  #advance(now: number): number {
    if (Number.isFinite(now) && now > this.#now) this.#now = now;
    return this.#now;
  }

  /** Moves queued items into the window while it has room: urgent first, then normal, then bulk. */
  #fillWindow(now: number): void {
    const limit = Math.min(this.#tuning.sendWindowPackets, this.#peerWindow);
    while (this.#inFlight.size < limit && this.#enterWindow(now)) {
      // each pass transmitted one new datagram
    }
  }

  /** Assigns the next seq to the next queued item and transmits it; false when there is nothing to send. */
  #enterWindow(now: number): boolean {
    if (this.#nextSeq > MAX_SEQUENCE) return false;
    let queued: Queued<T> | undefined;
    for (const priority of PRIORITY_ORDER) {
      queued = this.#queues[priority].shift();
      if (queued) break;
    }
    if (!queued) return false;
    this.#queuedCount--;
    this.#queuedBytes -= queued.bytes;
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
    this.#options.transmit(entry.seq, entry.item, false);
    return true;
  }

  #retransmit(entry: Outstanding<T>, now: number, byTimer: boolean): void {
    entry.lastSentAt = now;
    entry.lastSentByTimer = byTimer;
    entry.lastTransmission = ++this.#transmissionCount;
    entry.transmissions++;
    this.#sent++;
    this.#retransmitted++;
    this.#options.transmit(entry.seq, entry.item, true);
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
    if (largest.transmissions === 1) this.#sampleRtt(now - largest.firstSentAt, ackDelayMs);
    for (const entry of acknowledged) {
      const arrived = this.#arrivedTransmission(entry);
      if (arrived > this.#largestAckedTransmission) this.#largestAckedTransmission = arrived;
    }
  }

  /**
   * Which transmission of a datagram the ack is for, as far as loss detection may assume. For a resent datagram we
   * cannot tell which copy arrived, and overestimating would declare everything sent in between lost. So: the first
   * copy (a safe lower bound), unless the latest went out on the timer, when the earlier ones were out for a whole
   * RTO and are most likely gone. If they were only late (a stalled receiver), what was sent after them lies above
   * what the ack shows received, where only a whole timeout declares a loss (see #receivedUpTo).
   *
   * No "the ack came at least min RTT after the probe" test: min RTT includes the peer's ack delay and queueing, and
   * an ack for a probe that fills a hole is immediate, so that test threw away the only evidence a lossy tail gets,
   * leaving each retransmission timeout to recover just the two datagrams it resent.
   */
  #arrivedTransmission(entry: Outstanding<T>): number {
    if (entry.transmissions === 1 || entry.lastSentByTimer) return entry.lastTransmission;
    return entry.firstTransmission;
  }

  /** RFC 6298 smoothing of an RTT sample, with the peer's ack delay removed as in RFC 9002 §5.3. */
  #sampleRtt(sampleMs: number, ackDelayMs: number): void {
    if (!Number.isFinite(sampleMs) || sampleMs < 0) return;
    const tuning = this.#tuning;
    this.#latestRtt = sampleMs;
    this.#minRtt = this.#minRtt === undefined ? sampleMs : Math.min(this.#minRtt, sampleMs);
    // A hostile or late delay is capped at what the peer promised, and never pushes the sample below min RTT.
    const delay = Number.isFinite(ackDelayMs) ? Math.min(Math.max(ackDelayMs, 0), tuning.maxAckDelayMs) : 0;
    const adjusted = sampleMs - delay >= this.#minRtt ? sampleMs - delay : sampleMs;
    if (this.#smoothedRtt === undefined || this.#rttVariance === undefined) {
      this.#smoothedRtt = adjusted;
      this.#rttVariance = adjusted / 2;
    } else {
      this.#rttVariance = 0.75 * this.#rttVariance + 0.25 * Math.abs(this.#smoothedRtt - adjusted);
      this.#smoothedRtt = 0.875 * this.#smoothedRtt + 0.125 * adjusted;
    }
    // The peer may hold its ack up to maxAckDelayMs, so a timer without that slack would fire on a healthy link.
    const rto = this.#smoothedRtt + Math.max(tuning.clockGranularityMs, 4 * this.#rttVariance) + tuning.maxAckDelayMs;
    this.#rto = Math.min(Math.max(rto, tuning.minRtoMs), tuning.maxRtoMs);
  }

  /** Resends what RFC 9002 §6.1 declares lost, and sets the loss timer for what is close to it. */
  #retransmitLost(now: number): void {
    this.#lossDeadline = undefined;
    if (this.#largestAckedTransmission === 0) return;
    const tuning = this.#tuning;
    const roundTrip = Math.max(this.#smoothedRtt ?? this.#rto, this.#latestRtt ?? 0);
    const lossDelay = Math.max(tuning.timeThreshold * roundTrip, tuning.clockGranularityMs);
    const lost: Outstanding<T>[] = [];
    const window = this.#inFlight;
    for (let seq = window.low, end = Math.min(window.high - 1, this.#describedUpTo); seq <= end; seq++) {
      const entry = window.get(seq);
      if (entry === undefined) continue;
      // Only a datagram transmitted before one that arrived can be lost; a resent one waits for fresh evidence.
      if (entry.lastTransmission >= this.#largestAckedTransmission) continue;
      const skipped = entry.seq < this.#receivedUpTo;
      const overtaken = skipped && this.#largestAckedTransmission - entry.lastTransmission >= tuning.packetThreshold;
      // Compare against the very deadline nextWakeup() reports, so a poll at that time always finds it due.
      const deadline = entry.lastSentAt + (skipped ? lossDelay : Math.max(lossDelay, this.#rto));
      if (overtaken || now >= deadline) {
        lost.push(entry);
      } else if (this.#lossDeadline === undefined || deadline < this.#lossDeadline) {
        this.#lossDeadline = deadline;
      }
    }
    for (const entry of lost) if (this.#inFlight.get(entry.seq) === entry) this.#retransmit(entry, now, false);
  }

  /** The tail was lost (no ack came to reveal it) or the peer's window is shut: resend the oldest, back off. */
  #onTimeout(now: number): void {
    this.#timeouts++;
    if (this.#inFlight.size > 0) {
      // A zero window admits one probe; otherwise a small burst, never the whole window.
      const burst = this.#peerWindow === 0 ? 1 : this.#tuning.rtoBurstPackets;
      const oldest = this.#inFlight.oldest(burst);
      for (const entry of oldest) if (this.#inFlight.get(entry.seq) === entry) this.#retransmit(entry, now, true);
    } else if (this.#peerWindow === 0) {
      // Nothing in flight to resend: one new item probes the window (its ack carries the reopened window).
      this.#enterWindow(now);
    }
    this.#backoff = Math.min(this.#backoff + 1, MAX_BACKOFF_EXPONENT);
    this.#timerStartedAt = now;
  }

  /** Starts the retransmission timer when something needs it, stops it when nothing does. */
  #updateTimer(now: number, restart: boolean): void {
    const blockedByWindow = this.#queuedCount > 0 && this.#peerWindow === 0 && this.#nextSeq <= MAX_SEQUENCE;
    if (this.#inFlight.size === 0 && !blockedByWindow) {
      this.#timerStartedAt = undefined;
    } else if (restart || this.#timerStartedAt === undefined) {
      this.#timerStartedAt = now;
    }
  }

  #timerDeadline(): number | undefined {
    if (this.#timerStartedAt === undefined) return undefined;
    const timeout = Math.min(this.#rto * 2 ** this.#backoff, this.#tuning.maxRtoMs);
    // A shut window is probed on the full timeout: its probe asks the peer to make room, not about a loss.
    const probing = this.#backoff === 0 && this.#peerWindow > 0;
    return this.#timerStartedAt + (probing ? Math.min(this.#probeTimeout(), timeout) : timeout);
  }

  /** The first expiry after progress: a round trip and the peer's ack delay, without the minRtoMs floor. */
  #probeTimeout(): number {
    const tuning = this.#tuning;
    if (this.#smoothedRtt === undefined) return this.#rto;
    const probe = this.#smoothedRtt + Math.max(tuning.clockGranularityMs, 4 * (this.#rttVariance ?? 0)) + tuning.maxAckDelayMs;
    return Math.max(probe, tuning.minProbeTimeoutMs);
  }

  // ---- receiver internals ----

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
    this.#inOrderSinceAck = 0;
    this.#acksSent++;
    this.#options.transmitAck(ack);
  }
}
