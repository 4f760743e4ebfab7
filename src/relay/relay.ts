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
import { DEFAULT_RETENTION, PRUNE_BATCH_MESSAGES, type HistoryStore, type Retention } from '../history/store';
import { DEFAULT_PORT } from '../protocol/constants';
import { peekType } from '../protocol/peek';
import { PacketType } from '../protocol/types';
import type { RelayIdentity } from '../protocol/relay-identity';
import type { ReliabilityTuning } from '../protocol/reliability';
import { systemClock, type Clock, type ClockTimer } from '../util/clock';
import { DeadlineTimer, stallMs } from '../util/deadline-timer';
import { literalLookup } from '../util/literal-lookup';
import { TypedEmitter } from '../util/typed-emitter';
import { hasBackgroundWrites } from '../history/threaded-store';
import { RelayCore } from './core';
import { GroupCommit } from './group-commit';
import type { RelayLimits } from './limits';
import { addressKey } from './membership';
import type { RelayLogger, RelayMemberEvent } from './roster';

export { DEFAULT_RELAY_LIMITS, RELAY_LIMIT_RANGES, clampRelayLimits, type RelayLimits } from './limits';
export type { RelayLogLevel, RelayLogger, RelayMemberEvent } from './roster';

/** Kernel buffers (bytes) of the relay's socket: a burst of fan-out to a full room must not overflow them. */
const SOCKET_BUFFER_BYTES = 4 << 20;
/** After an internal error in the timer, how long (ms) before it tries again: never a busy loop. */
const TIMER_ERROR_RETRY_MS = 100;
/** How often (ms) retention runs: a minute late is nothing against days of retention. */
const PRUNE_INTERVAL_MS = 60_000;
/** When a prune stopped at its batch size, the next batch follows this soon (ms), leaving the loop to traffic. */
const PRUNE_AGAIN_MS = 100;
/** The relay's history: where it is kept and for how long. */
export interface RelayHistoryConfig {
  /** Owned by the relay from now on: it is closed when the relay closes. */
  store: HistoryStore;
  retention?: Partial<Retention>;
}

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
  /** Keep every room's texts and images and answer history requests; without it the relay keeps nothing. */
  history?: RelayHistoryConfig;
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
  readonly #store: HistoryStore | undefined;
  readonly #retention: Retention;
  /** Commits what the core numbers, and holds the acknowledgements that wait for it; none without a store. */
  readonly #commits: GroupCommit | undefined;
  #pruneTimer: ClockTimer | undefined;
  #address: { host: string; port: number } = { host: '', port: 0 };

  private constructor(socket: dgram.Socket, options: RelayOptions) {
    super();
    this.#socket = socket;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? (() => {});
    this.#timer = new DeadlineTimer(this.#timerOnFire, this.#clock);
    this.#store = options.history?.store;
    this.#retention = { ...DEFAULT_RETENTION, ...options.history?.retention };
    const store = this.#store;
    this.#commits = store
      ? new GroupCommit({
          store,
          clock: this.#clock,
          send: ({ datagram, host, port }) => {
            if (!this.#socketClosed) this.#socket.send(datagram, port, host);
          },
          enabled: () => this.#core.historyEnabled,
          committed: this.#committed,
        })
      : undefined;
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
        history: store && this.#commits ? { reader: store, append: this.#commits.append.bind(this.#commits), pin: this.#commits.pin.bind(this.#commits) } : undefined,
      },
      this.#clock.now(),
    );
    socket.on('message', this.#socketOnMessage);
    socket.on('error', this.#socketOnError);
    if (store) this.#schedulePrune(0);
  }

  /** Binds the socket and resolves once the relay is listening. */
  static async start(options: RelayOptions = {}): Promise<Relay> {
    const host = options.host ?? '0.0.0.0';
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES, lookup: literalLookup });
    const relay = new Relay(socket, options);
    await new Promise<void>((resolve, reject) => {
      const socketOnBindError = (error: Error): void => {
        socket.close(); // a socket that failed to bind must not stay open in a long-lived host
        relay.#closed = true;
        if (relay.#pruneTimer) relay.#clock.clearTimeout(relay.#pruneTimer);
        relay.#closeStore();
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

  /** True while history is kept (a store was given and has not failed). */
  get historyEnabled(): boolean {
    return this.#core.historyEnabled;
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
    if (this.#pruneTimer) this.#clock.clearTimeout(this.#pruneTimer);
    // What waited for a commit goes out before the socket closes.
    this.#commits?.flush();
    await this.#commits?.settled();
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
    const store = this.#store;
    if (store && hasBackgroundWrites(store)) await store.closeWhenDone();
    else this.#closeStore();
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
    // Behind an uncommitted append, an acknowledgement may be the one that says "delivered": it waits for the
    // commit. Nothing else does: forwarded messages go on at once, so members' round trips (and the relay's
    // timers that follow them) do not swell by a commit's fsync. A message forwarded but lost in a crash is
    // resent by its sender, who never heard "delivered"; its number is never given again (RoomNumbers' gap).
    if (this.#commits?.holding && peekType(datagram) === PacketType.Ack) this.#commits.hold({ datagram, host, port });
    else this.#socket.send(datagram, port, host);
  };

  /** A commit ended; a failing store does not stop the relay: history is turned off, the messages went out live. */
  #committed = (error: unknown): void => {
    if (error === undefined) {
      this.#count('history-stored');
      return;
    }
    this.#count('history-error');
    this.#log('warn', `history turned off: cannot store messages (${String(error)})`);
    this.#core.disableHistory();
  };

  #schedulePrune(delayMs: number): void {
    this.#pruneTimer = this.#clock.setTimeout(this.#pruneOnTimer, delayMs);
  }

  #pruneOnTimer = (): void => {
    this.#pruneTimer = undefined;
    const store = this.#store;
    if (this.#closed || !store || !this.#core.historyEnabled) return;
    if (hasBackgroundWrites(store)) {
      store.pruneLater(this.#clock.wallNow(), this.#retention, PRUNE_BATCH_MESSAGES).then(this.#pruned, this.#pruneFailed);
      return;
    }
    try {
      this.#pruned(store.prune(this.#clock.wallNow(), this.#retention, PRUNE_BATCH_MESSAGES));
    } catch (error) {
      this.#pruneFailed(error);
    }
  };

  #pruned = (dropped: number): void => {
    if (dropped > 0) this.#log('debug', `retention dropped ${dropped} stored messages`);
    if (!this.#closed) this.#schedulePrune(dropped >= PRUNE_BATCH_MESSAGES ? PRUNE_AGAIN_MS : PRUNE_INTERVAL_MS);
  };

  #pruneFailed = (error: unknown): void => {
    this.#count('history-prune-error');
    this.#log('warn', `cannot apply history retention: ${String(error)}`);
    if (!this.#closed) this.#schedulePrune(PRUNE_INTERVAL_MS);
  };

  #closeStore(): void {
    try {
      this.#store?.close();
    } catch (error) {
      this.#log('warn', `cannot close the history store: ${String(error)}`);
    }
  }
}
