/**
 * The UDP relay's socket edge: one socket, one timer, a Clock, and the relay's state machine (RelayCore) behind
 * them. It forwards every text and image fragment to the other members of the sender's room as it arrives
 * (cut-through: a large image is not held until complete), announces joins and leaves, evicts members that fall
 * silent, and tells every member, signed, when it shuts down.
 *
 * Only this file touches the socket and the clock; a bug in the core is counted and logged, never thrown out of
 * a socket callback.
 */
import dgram from 'node:dgram';
import { DEFAULT_PORT } from '../protocol/constants';
import type { RelayIdentity } from '../protocol/relay-identity';
import type { ReliabilityTuning } from '../protocol/reliability';
import { systemClock, type Clock } from '../util/clock';
import { DeadlineTimer, stallMs } from '../util/deadline-timer';
import { TypedEmitter } from '../util/typed-emitter';
import { RelayCore } from './core';
import type { RelayLimits } from './limits';
import { addressKey } from './membership';
import type { RelayLogger, RelayMemberEvent } from './roster';

export { DEFAULT_RELAY_LIMITS, RELAY_LIMIT_RANGES, clampRelayLimits, type RelayLimits } from './limits';
export type { RelayLogLevel, RelayLogger, RelayMemberEvent } from './roster';

/** Kernel buffers (bytes) of the relay's socket: a burst of fan-out to a full room must not overflow them. */
const SOCKET_BUFFER_BYTES = 4 << 20;
/** After an internal error in the timer, how long (ms) before it tries again: never a busy loop. */
const TIMER_ERROR_RETRY_MS = 100;

export interface RelayOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Let classic plaintext clients join room `general`. */
  acceptLegacy?: boolean;
  /** Each is clamped to RELAY_LIMIT_RANGES; the Welcome announces the clamped values. */
  limits?: Partial<RelayLimits>;
  /** Tuning of the relay→member channels (e.g. a small `sequenceHighWater` to exercise exhaustion). */
  reliability?: Partial<ReliabilityTuning>;
  log?: RelayLogger;
  /** Time and the timer; the process's clocks unless a test passes a fake one. */
  clock?: Clock;
  /** The long-term identity that signs every Welcome (see loadRelayIdentity); default a fresh one per start. */
  identity?: RelayIdentity;
}

export type RelayEvents = {
  join: [member: RelayMemberEvent];
  leave: [member: RelayMemberEvent, reason: string];
  members: [count: number];
  close: [];
};

/** Why datagrams were dropped, counted; the relay's health at a glance. */
export type RelayCounters = Record<string, number>;

export class Relay extends TypedEmitter<RelayEvents> {
  readonly #socket: dgram.Socket;
  readonly #clock: Clock;
  readonly #log: RelayLogger;
  readonly #core: RelayCore;
  readonly #timer: DeadlineTimer;
  /** The deadline the timer was armed for when it fires (DeadlineTimer forgets it just before). */
  readonly #counters: RelayCounters = {};
  #closed = false;
  #socketClosed = false;
  #address: { host: string; port: number } = { host: '', port: 0 };

  private constructor(socket: dgram.Socket, options: RelayOptions) {
    super();
    this.#socket = socket;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? (() => {});
    this.#timer = new DeadlineTimer(this.#timerOnFire, this.#clock);
    this.#core = new RelayCore(
      {
        limits: options.limits,
        acceptLegacy: options.acceptLegacy ?? false,
        reliability: options.reliability,
        identity: options.identity,
        log: this.#log,
        transmit: this.#transmit,
        count: this.#count,
        onJoin: (member) => this.emit('join', member),
        onLeave: (member, reason) => this.emit('leave', member, reason),
        onMembers: (count) => this.emit('members', count),
      },
      this.#clock.now(),
    );
    socket.on('message', this.#socketOnMessage);
    socket.on('error', this.#socketOnError);
  }

  /** Binds the socket and resolves once the relay is listening. */
  static async start(options: RelayOptions = {}): Promise<Relay> {
    const host = options.host ?? '0.0.0.0';
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
    const relay = new Relay(socket, options);
    await new Promise<void>((resolve, reject) => {
      const socketOnBindError = (error: Error): void => {
        socket.close(); // a socket that failed to bind must not stay open in a long-lived host
        reject(error);
      };
      socket.once('error', socketOnBindError);
      socket.bind(options.port ?? DEFAULT_PORT, host, () => {
        socket.off('error', socketOnBindError);
        resolve();
      });
    });
    const bound = socket.address();
    relay.#address = { host: bound.address, port: bound.port };
    return relay;
  }

  get address(): { host: string; port: number } {
    return { ...this.#address };
  }

  get memberCount(): number {
    return this.#core.memberCount;
  }

  get counters(): Readonly<RelayCounters> {
    return this.#counters;
  }

  /** The limits in force (after clamping), as every Welcome announces them. */
  get limits(): Readonly<RelayLimits> {
    return this.#core.limits;
  }

  /** Members per room, for status displays. */
  rooms(): Map<string, number> {
    return this.#core.rooms();
  }

  /** Tells every member the relay is going away (signed, see RelayCore.shutdown), then closes the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer.dispose();
    // Sends complete asynchronously; closing first would discard them.
    const sent = this.#core.shutdown().map(
      ({ datagram, host, port }) =>
        new Promise<void>((resolve) => {
          this.#count('datagrams-out');
          this.#socket.send(datagram, port, host, () => resolve());
        }),
    );
    await Promise.all(sent);
    this.#socketClosed = true;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    this.emit('close');
  }

  #socketOnMessage = (datagram: Buffer, remote: dgram.RemoteInfo): void => {
    if (this.#closed) return;
    try {
      this.#core.receive(datagram, remote.address, remote.port, this.#clock.now(), this.#clock.wallNow());
      this.#timer.wake(this.#core.takeWakeRequest());
    } catch (error) {
      // A bug here must not take the relay down; it is counted and logged so it gets fixed.
      this.#count('internal-error');
      this.#log('warn', `internal error handling a datagram from ${addressKey(remote.address, remote.port)}: ${String(error)}`);
    }
  };

  #socketOnError = (error: Error): void => {
    this.#count('socket-error');
    this.#log('warn', `socket error: ${error.message}`);
  };

  #timerOnFire = (dueAt: number): void => {
    if (this.#closed) return;
    try {
      const now = this.#clock.now();
      const stalledMs = stallMs(dueAt, now);
      if (stalledMs > 0) {
        this.#count('stall-excused');
        this.#core.excuseStall(stalledMs, now);
      }
      this.#timer.reset(this.#core.poll(now));
    } catch (error) {
      this.#count('internal-error');
      this.#log('warn', `internal error in the relay timer: ${String(error)}`);
      this.#timer.reset(this.#clock.now() + TIMER_ERROR_RETRY_MS);
    }
  };

  #count = (reason: string): void => {
    this.#counters[reason] = (this.#counters[reason] ?? 0) + 1;
  };

  #transmit = (datagram: Uint8Array, host: string, port: number): void => {
    if (this.#socketClosed) return;
    this.#socket.send(datagram, port, host);
  };
}
