/**
 * A simulated network for transport tests: one-way links that lose, duplicate, delay and reorder datagrams on a
 * fake clock, driven by a seeded PRNG so every failure replays exactly; and a two-channel simulation that runs two
 * ReliableChannels against each other through a pair of such links.
 */
import { controlHeader, decodePacket, encodeControl } from '../../src/protocol/codec';
import {
  ReliableChannel,
  type ReliabilityTuning,
  type ReliableChannelOptions,
} from '../../src/protocol/reliability';
import { PacketType, type AckBody } from '../../src/protocol/types';

/** mulberry32: a tiny seeded PRNG with uniform output in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LinkConditions {
  /** Chance (%) that a datagram never arrives. */
  lossPercent: number;
  /** Chance (%) that a datagram arrives twice. */
  duplicatePercent: number;
  /** Chance (%) that a datagram is held back long enough to arrive after later ones. */
  reorderPercent: number;
  /** One-way delay (ms). */
  delayMs: number;
  /** Extra delay (ms), uniform in [0, jitterMs). */
  jitterMs: number;
}

export const PERFECT_LINK: LinkConditions = {
  lossPercent: 0,
  duplicatePercent: 0,
  reorderPercent: 0,
  delayMs: 1,
  jitterMs: 0,
};

interface Arrival<M> {
  at: number;
  /** Ties break by send order, so a run replays identically. */
  order: number;
  message: M;
}

/** A one-way link. Arrivals are kept in a binary heap ordered by time. */
export class LossyLink<M> {
  conditions: LinkConditions;
  readonly #random: () => number;
  readonly #deliver: (message: M, now: number) => void;
  readonly #heap: Arrival<M>[] = [];
  #order = 0;
  #lastInOrderArrival = 0;
  sent = 0;
  lost = 0;

  constructor(conditions: LinkConditions, random: () => number, deliver: (message: M, now: number) => void) {
    this.conditions = conditions;
    this.#random = random;
    this.#deliver = deliver;
  }

  get inTransit(): number {
    return this.#heap.length;
  }

  send(message: M, now: number): void {
    const { lossPercent, duplicatePercent, reorderPercent, delayMs, jitterMs } = this.conditions;
    this.sent++;
    if (this.#random() * 100 < lossPercent) {
      this.lost++;
      return;
    }
    const copies = this.#random() * 100 < duplicatePercent ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      let at = now + delayMs + this.#random() * jitterMs;
      if (this.#random() * 100 < reorderPercent) {
        // Held back past datagrams sent after it.
        at += 1 + this.#random() * (2 * delayMs + 2 * jitterMs + 5);
      } else {
        // Like a real path, jitter alone does not reorder: a datagram never overtakes one sent before it.
        at = Math.max(at, this.#lastInOrderArrival);
        this.#lastInOrderArrival = at;
      }
      this.#push({ at, order: this.#order++, message });
    }
  }

  nextArrival(): number | undefined {
    return this.#heap[0]?.at;
  }

  /** Delivers, in time order, every datagram due by `now`. */
  deliverDue(now: number): void {
    for (let next = this.#heap[0]; next !== undefined && next.at <= now; next = this.#heap[0]) {
      this.#pop();
      this.#deliver(next.message, next.at);
    }
  }

  #before(a: Arrival<M>, b: Arrival<M>): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  #push(arrival: Arrival<M>): void {
    const heap = this.#heap;
    heap.push(arrival);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#before(heap[index] as Arrival<M>, heap[parent] as Arrival<M>)) break;
      [heap[index], heap[parent]] = [heap[parent] as Arrival<M>, heap[index] as Arrival<M>];
      index = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as Arrival<M>;
    if (heap.length === 0) return;
    heap[0] = last;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && this.#before(heap[left] as Arrival<M>, heap[smallest] as Arrival<M>)) smallest = left;
      if (right < heap.length && this.#before(heap[right] as Arrival<M>, heap[smallest] as Arrival<M>)) smallest = right;
      if (smallest === index) break;
      [heap[index], heap[smallest]] = [heap[smallest] as Arrival<M>, heap[index] as Arrival<M>];
      index = smallest;
    }
  }
}

export type WireMessage<T> = { kind: 'data'; seq: number; item: T } | { kind: 'ack'; ack: AckBody; wire?: Uint8Array };

/** One side of a simulation: its channel and what it observed. */
export interface SimulatedPeer<T> {
  channel: ReliableChannel<T>;
  /** Items delivered to this side, in delivery order. */
  delivered: T[];
  /** Items this side put on the wire for the first time, in seq order. */
  firstTransmissions: T[];
  /** Tickets the peer acknowledged, in callback order. */
  acknowledged: number[];
  /** Every ack this side sent, as the peer decoded it. */
  acksSent: AckBody[];
  /** Violations of the window rule seen at transmit time. */
  windowViolations: string[];
  /** The link this side sends on. */
  outbound: LossyLink<WireMessage<T>>;
}

export interface SimulationOptions {
  seed: number;
  /** Conditions of the link from a to b, and (default: the same) from b to a. */
  aToB: LinkConditions;
  bToA?: LinkConditions;
  tuning?: Partial<ReliabilityTuning>;
  /** Send every ack through encodeControl/decodePacket, failing the run on any that does not survive. */
  encodeAcks?: boolean;
}

/** Two channels talking through two lossy links on one fake clock. */
export class ChannelSimulation<T> {
  now = 0;
  readonly a: SimulatedPeer<T>;
  readonly b: SimulatedPeer<T>;
  readonly #encodeAcks: boolean;

  constructor(options: SimulationOptions) {
    this.#encodeAcks = options.encodeAcks ?? false;
    const random = mulberry32(options.seed);
    this.a = this.#peer(options.aToB, random, options.tuning, () => this.b);
    this.b = this.#peer(options.bToA ?? options.aToB, random, options.tuning, () => this.a);
  }

  #peer(
    conditions: LinkConditions,
    random: () => number,
    tuning: Partial<ReliabilityTuning> | undefined,
    remote: () => SimulatedPeer<T>,
  ): SimulatedPeer<T> {
    const outbound = new LossyLink<WireMessage<T>>(conditions, random, (message, at) => {
      const target = remote();
      if (message.kind === 'data') {
        target.channel.receiveData(message.seq, message.item, at);
      } else {
        const ack = message.wire ? decodeAck(message.wire) : message.ack;
        target.channel.receiveAck(ack, at);
      }
    });
    const peer: SimulatedPeer<T> = {
      channel: undefined as unknown as ReliableChannel<T>,
      delivered: [],
      firstTransmissions: [],
      acknowledged: [],
      acksSent: [],
      windowViolations: [],
      outbound,
    };
    const options: ReliableChannelOptions<T> = {
      transmit: (seq, item, isRetransmission) => {
        if (!isRetransmission) {
          peer.firstTransmissions.push(item);
          const stats = peer.channel.stats;
          const window = Math.max(1, Math.min(peer.channel.tuning.sendWindowPackets, stats.peerWindow));
          if (stats.inFlight > window) {
            peer.windowViolations.push(`seq ${seq}: ${stats.inFlight} in flight, window ${window}`);
          }
        }
        outbound.send({ kind: 'data', seq, item }, this.now);
      },
      transmitAck: (ack) => {
        if (this.#encodeAcks) {
          const wire = encodeControl({ ...controlHeader(PacketType.Ack, 0), body: ack });
          peer.acksSent.push(decodeAck(wire));
          outbound.send({ kind: 'ack', ack, wire }, this.now);
        } else {
          peer.acksSent.push(ack);
          outbound.send({ kind: 'ack', ack }, this.now);
        }
      },
      deliver: (item) => peer.delivered.push(item),
      acknowledged: (ticket) => peer.acknowledged.push(ticket),
    };
    if (tuning) options.tuning = tuning;
    peer.channel = new ReliableChannel<T>(options, this.now);
    return peer;
  }

  /** The earliest pending event: an arrival on either link or a channel's wakeup. */
  nextEvent(): number | undefined {
    const times = [
      this.a.outbound.nextArrival(),
      this.b.outbound.nextArrival(),
      this.a.channel.nextWakeup(),
      this.b.channel.nextWakeup(),
    ].filter((time): time is number => time !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Advances the clock to the next event and runs it; false when nothing is pending. */
  step(): boolean {
    const next = this.nextEvent();
    if (next === undefined) return false;
    this.now = Math.max(this.now, next);
    this.a.outbound.deliverDue(this.now);
    this.b.outbound.deliverDue(this.now);
    for (const peer of [this.a, this.b]) {
      const wakeup = peer.channel.nextWakeup();
      if (wakeup !== undefined && wakeup <= this.now) peer.channel.poll(this.now);
    }
    return true;
  }

  /** Runs until `done()` or until nothing is pending; throws past `limitMs` of simulated time (a stall). */
  runUntil(done: () => boolean, limitMs: number): void {
    const maxSteps = 5_000_000;
    for (let steps = 0; !done(); steps++) {
      if (this.now > limitMs) throw new Error(`still not done after ${limitMs} ms of simulated time`);
      if (steps > maxSteps) throw new Error(`still not done after ${maxSteps} steps at ${this.now} ms`);
      if (!this.step()) throw new Error(`nothing left to run at ${this.now} ms, yet not done`);
    }
  }

  /** Runs until both channels are idle and nothing is in transit. */
  runToQuiet(limitMs: number): void {
    this.runUntil(
      () =>
        this.a.channel.idle &&
        this.b.channel.idle &&
        this.a.outbound.inTransit === 0 &&
        this.b.outbound.inTransit === 0,
      limitMs,
    );
  }

  /** Advances the clock to `until`, running every event on the way. */
  runFor(durationMs: number): void {
    const until = this.now + durationMs;
    for (let next = this.nextEvent(); next !== undefined && next <= until; next = this.nextEvent()) this.step();
    this.now = until;
  }
}

function decodeAck(wire: Uint8Array): AckBody {
  const decoded = decodePacket(wire);
  if (!decoded.ok) throw new Error(`an ack did not survive the codec: ${decoded.error.message}`);
  if (decoded.value.type !== PacketType.Ack) throw new Error(`an ack decoded as type ${decoded.value.type}`);
  return decoded.value.body;
}
