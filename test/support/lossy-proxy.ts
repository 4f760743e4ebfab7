/**
 * An impaired network on real sockets: a UDP proxy on 127.0.0.1 that sits between clients and a relay. Clients
 * send to the proxy's port; for each client address the proxy opens its own socket toward the relay, so the relay
 * sees one address per client, and sends the relay's replies back to that client. Each direction loses,
 * duplicates, reorders and delays datagrams as configured, from a seeded PRNG: every link (client, direction)
 * draws from its own generator, so the n-th datagram a client sends meets the same fate in every run.
 *
 * Timing is as good as Node's timers: a delay below a millisecond or two is rounded up by the event loop.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { mulberry32 } from './lossy-link';

export interface Impairment {
  /** Chance (%) that a datagram is dropped. */
  lossPercent: number;
  /** Chance (%) that a datagram is sent twice (each copy delayed on its own). */
  duplicatePercent: number;
  /** Chance (%) that a datagram is held back by `reorderDelayMs` more, so later ones overtake it. */
  reorderPercent: number;
  /** One-way delay (ms). */
  delayMs: number;
  /** Delay varies uniformly within ± this (ms), never below 0; jitter alone never reorders. */
  jitterMs: number;
  /** Extra hold (ms) of a reordered datagram, uniform in [0.5, 1.5) × this. */
  reorderDelayMs: number;
}

export const NO_IMPAIRMENT: Readonly<Impairment> = Object.freeze({
  lossPercent: 0,
  duplicatePercent: 0,
  reorderPercent: 0,
  delayMs: 0,
  jitterMs: 0,
  reorderDelayMs: 4,
});

/** client→relay is `toRelay`, relay→client is `toClient`. */
export type Direction = 'toRelay' | 'toClient';

export interface DirectionCounters {
  /** Copies put on the wire (a duplicated datagram counts twice). */
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

export interface LossyProxyOptions {
  relayHost?: string;
  relayPort: number;
  /** Seeds every link's PRNG. */
  seed: number;
  toRelay?: Partial<Impairment>;
  toClient?: Partial<Impairment>;
  /** Sees every datagram as it arrives at the proxy, before any impairment (e.g. to count what the relay sends). */
  tap?: (direction: Direction, client: string, datagram: Buffer) => void;
}

/** Kernel buffers: a relay fans out whole windows at once, and the proxy must not add losses of its own. */
const SOCKET_BUFFER_BYTES = 4 << 20;

interface Pending {
  at: number;
  datagram: Buffer;
}

/** One direction of one client's path: its PRNG and its in-order queue (arrival times never decrease). */
class Link {
  readonly #random: () => number;
  readonly #send: (datagram: Buffer) => void;
  readonly #queue: Pending[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #queueTimer: NodeJS.Timeout | undefined;
  #lastInOrderAt = 0;

  constructor(
    readonly impairment: () => Impairment,
    readonly counters: DirectionCounters,
    seed: number,
    send: (datagram: Buffer) => void,
  ) {
    this.#random = mulberry32(seed);
    this.#send = send;
  }

  carry(datagram: Buffer): void {
    const { lossPercent, duplicatePercent } = this.impairment();
    if (this.#random() * 100 < lossPercent) {
      this.counters.dropped++;
      return;
    }
    const copies = this.#random() * 100 < duplicatePercent ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let copy = 0; copy < copies; copy++) this.#schedule(datagram);
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (this.#queueTimer) clearTimeout(this.#queueTimer);
    this.#queue.length = 0;
  }

  #schedule(datagram: Buffer): void {
    const { reorderPercent, delayMs, jitterMs, reorderDelayMs } = this.impairment();
    const now = performance.now();
    const delay = Math.max(0, delayMs + (this.#random() * 2 - 1) * jitterMs);
    if (this.#random() * 100 < reorderPercent) {
      this.counters.reordered++;
      const held = delay + reorderDelayMs * (0.5 + this.#random());
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#forward(datagram);
      }, held);
      this.#timers.add(timer);
      return;
    }
    // Like a real path, jitter alone does not reorder: a datagram never overtakes one sent before it.
    const at = Math.max(now + delay, this.#lastInOrderAt);
    this.#lastInOrderAt = at;
    if (at <= now && this.#queue.length === 0) {
      this.#forward(datagram);
      return;
    }
    this.#queue.push({ at, datagram });
    if (this.#queue.length === 1) this.#armQueue(now);
  }

  #armQueue(now: number): void {
    const head = this.#queue[0];
    if (!head) return;
    this.#queueTimer = setTimeout(this.#drainQueue, Math.max(0, head.at - now));
  }

  #drainQueue = (): void => {
    this.#queueTimer = undefined;
    const now = performance.now();
    let served = 0;
    while (served < this.#queue.length && (this.#queue[served] as Pending).at <= now) {
      this.#forward((this.#queue[served] as Pending).datagram);
      served++;
    }
    this.#queue.splice(0, served);
    this.#armQueue(now);
  };

  #forward(datagram: Buffer): void {
    this.counters.forwarded++;
    this.#send(datagram);
  }
}

interface ClientPath {
  upstream: dgram.Socket;
  toRelay: Link;
  toClient: Link;
}

function newCounters(): DirectionCounters {
  return { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 };
}

export class LossyProxy {
  readonly counters: Record<Direction, DirectionCounters> = { toRelay: newCounters(), toClient: newCounters() };
  readonly #front: dgram.Socket;
  readonly #options: LossyProxyOptions;
  readonly #relayHost: string;
  readonly #impairment: Record<Direction, Impairment>;
  readonly #paths = new Map<string, ClientPath>();
  #closed = false;

  private constructor(front: dgram.Socket, options: LossyProxyOptions) {
    this.#front = front;
    this.#options = options;
    this.#relayHost = options.relayHost ?? '127.0.0.1';
    this.#impairment = {
      toRelay: { ...NO_IMPAIRMENT, ...options.toRelay },
      toClient: { ...NO_IMPAIRMENT, ...options.toClient },
    };
    front.on('message', this.#frontOnMessage);
  }

  static async start(options: LossyProxyOptions): Promise<LossyProxy> {
    const front = await bindSocket();
    return new LossyProxy(front, options);
  }

  /** Where clients send: the same shape as Relay.address, so test helpers take either. */
  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.#front.address().port };
  }

  /** Clients seen so far. */
  get clientCount(): number {
    return this.#paths.size;
  }

  /** Changes one direction's impairment from now on (datagrams already held keep their fate). */
  impair(direction: Direction, impairment: Partial<Impairment>): void {
    this.#impairment[direction] = { ...this.#impairment[direction], ...impairment };
  }

  /**
   * Puts a datagram on a client's path as an attacker on that path would (a replay, a forgery): it reaches the
   * relay from that client's address (`toRelay`) or the client from the relay's (`toClient`), unimpaired.
   */
  inject(direction: Direction, client: string, datagram: Uint8Array): void {
    const path = this.#paths.get(client);
    if (!path || this.#closed) throw new Error(`no path for client ${client}`);
    const [host, port] = [client.slice(0, client.lastIndexOf(':')), Number(client.slice(client.lastIndexOf(':') + 1))];
    if (direction === 'toRelay') path.upstream.send(datagram, this.#options.relayPort, this.#relayHost);
    else this.#front.send(datagram, port, host);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sockets = [this.#front];
    for (const path of this.#paths.values()) {
      path.toRelay.close();
      path.toClient.close();
      sockets.push(path.upstream);
    }
    this.#paths.clear();
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }

  #frontOnMessage = (datagram: Buffer, remote: dgram.RemoteInfo): void => {
    if (this.#closed) return;
    const client = `${remote.address}:${remote.port}`;
    const path = this.#paths.get(client) ?? this.#openPath(client, remote);
    this.#options.tap?.('toRelay', client, datagram);
    path.toRelay.carry(datagram);
  };

  #openPath(client: string, remote: dgram.RemoteInfo): ClientPath {
    const upstream = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
    // dgram queues sends made while the bind is still under way.
    upstream.bind(0, '127.0.0.1');
    // Per-link seeds: the n-th client (in order of first datagram) gets the same generators in every run.
    const index = this.#paths.size;
    const linkSeed = (direction: number): number => (this.#options.seed * 0x9e3779b1 + index * 2 + direction) >>> 0;
    const path: ClientPath = {
      upstream,
      toRelay: new Link(() => this.#impairment.toRelay, this.counters.toRelay, linkSeed(0), (datagram) => {
        if (!this.#closed) upstream.send(datagram, this.#options.relayPort, this.#relayHost);
      }),
      toClient: new Link(() => this.#impairment.toClient, this.counters.toClient, linkSeed(1), (datagram) => {
        if (!this.#closed) this.#front.send(datagram, remote.port, remote.address);
      }),
    };
    upstream.on('message', (datagram, from) => {
      if (this.#closed || from.port !== this.#options.relayPort) return;
      this.#options.tap?.('toClient', client, datagram);
      path.toClient.carry(datagram);
    });
    upstream.on('error', () => {}); // e.g. ECONNREFUSED while the relay restarts: UDP is allowed to lose it
    this.#paths.set(client, path);
    return path;
  }
}

async function bindSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}
