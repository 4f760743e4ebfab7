/**
 * Group commit of the relay's history, and the acknowledgements that wait for it. Messages the core numbers during
 * one turn of the event loop are committed together (one transaction, one fsync). An acknowledgement sent while
 * any message is not yet durable may be the one that says "delivered", so it waits until the commit it may cover
 * has ended; nothing else waits (forwarded messages go on at once, so members' round trips, and the relay's timers
 * that follow them, do not swell by an fsync).
 *
 * Two ways to commit, by what the store offers:
 * - in the background (a ThreadedHistoryStore): the commit goes to the store, which gathers 10 ms of them into one
 *   transaction on its thread, and the relay's thread goes on; commits end in the order they were handed over, and
 *   each releases the acknowledgements that waited for it;
 * - synchronously (any other HistoryStore): the commit runs here, waiting as long as the last one took (at most
 *   MAX_COMMIT_WAIT_MS), so a slow disk gathers more messages per fsync instead of falling behind.
 */
import type { HistoryStore, RoomVerifier, StoredMessage } from '../history/store';
import { hasBackgroundWrites, type BackgroundWrites } from '../history/threaded-store';
import type { Clock, ClockTimer } from '../util/clock';

/** Longest wait (ms) before a synchronous commit: an fsync of 10-20 ms gathers what arrives meanwhile. */
const MAX_COMMIT_WAIT_MS = 20;

export interface HeldDatagram {
  datagram: Uint8Array;
  host: string;
  port: number;
}

export interface GroupCommitOptions {
  store: HistoryStore;
  clock: Clock;
  /** Sends a datagram that waited; the relay drops it once its socket is closed. */
  send(held: HeldDatagram): void;
  /** History is still kept (a failed commit turns it off). */
  enabled(): boolean;
  /** A commit ended: `error` when it failed (the relay turns history off; the messages went out live). */
  committed(error: unknown): void;
}

/** One commit on its way in the background, and the datagrams that wait for it. */
interface InFlight {
  held: HeldDatagram[];
  done: boolean;
}

export class GroupCommit {
  readonly #options: GroupCommitOptions;
  /** The store's background writes, when it has them: commits then never run on this thread. */
  readonly #background: BackgroundWrites | undefined;
  #appends: StoredMessage[] = [];
  /** The last verifier per room of this turn, committed before its appends. */
  #pins = new Map<string, RoomVerifier>();
  /** Datagrams waiting for this turn's commit. */
  #held: HeldDatagram[] = [];
  /** Background commits not yet ended, oldest first. */
  readonly #inFlight: InFlight[] = [];
  #scheduled = false;
  #timer: ClockTimer | undefined;
  /** How long the last synchronous commit took (ms). */
  #lastCommitMs = 0;
  #settledWaiters: Array<() => void> = [];

  constructor(options: GroupCommitOptions) {
    this.#options = options;
    this.#background = hasBackgroundWrites(options.store) ? options.store : undefined;
  }

  /** True while an acknowledgement must wait: some message numbered before it is not durable yet. */
  get holding(): boolean {
    return this.#appends.length > 0 || this.#inFlight.length > 0;
  }

  /** Keeps `held` until every message numbered so far is durable. */
  hold(held: HeldDatagram): void {
    const last = this.#inFlight[this.#inFlight.length - 1];
    if (this.#appends.length > 0 || !last) this.#held.push(held);
    else last.held.push(held);
  }

  append(message: StoredMessage): void {
    this.#appends.push(message);
    this.#schedule();
  }

  pin(room: string, verifier: RoomVerifier): void {
    this.#pins.set(room, verifier);
    this.#schedule();
  }

  /** Commits this turn's messages now (the relay is closing); `settled()` tells when they have ended. */
  flush(): void {
    if (this.#timer) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#commit();
  }

  /** Resolves once no commit is on its way. */
  settled(): Promise<void> {
    if (this.#inFlight.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // After every datagram the socket has ready now: one transaction for all of them.
    if (this.#background || this.#lastCommitMs < 1) setImmediate(this.#commit);
    else this.#timer = this.#options.clock.setTimeout(this.#commit, Math.min(this.#lastCommitMs, MAX_COMMIT_WAIT_MS));
  }

  #commit = (): void => {
    this.#scheduled = false;
    this.#timer = undefined;
    const appends = this.#appends;
    const pins = this.#pins;
    const held = this.#held;
    if (appends.length === 0 && pins.size === 0 && held.length === 0) return;
    this.#appends = [];
    this.#pins = new Map();
    this.#held = [];
    if (!this.#options.enabled()) {
      this.#release(held);
      return;
    }
    const background = this.#background;
    if (background) {
      const entry: InFlight = { held, done: false };
      this.#inFlight.push(entry);
      // Pins first: the store's thread serves writes in order, so no message is ever stored unpinned.
      const written = Promise.all([...pins].map(([room, verifier]) => background.pinRoomLater(room, verifier)));
      const appended = appends.length > 0 ? background.appendDurably(appends) : Promise.resolve([]);
      Promise.all([written, appended]).then(
        ([, stored]) => this.#ended(entry, numberingError(appends, stored)),
        (error: unknown) => this.#ended(entry, error),
      );
      return;
    }
    const store = this.#options.store;
    let failure: unknown;
    try {
      const startedAt = this.#options.clock.now();
      for (const [room, verifier] of pins) store.pinRoom(room, verifier);
      const stored = store.append(appends);
      this.#lastCommitMs = this.#options.clock.now() - startedAt;
      failure = numberingError(appends, stored);
    } catch (error) {
      failure = error;
    }
    if (appends.length > 0 || failure !== undefined) this.#options.committed(failure);
    this.#release(held);
  };

  /** A background commit ended: the ones before it have (they end in order), so what waited goes out in order. */
  #ended(entry: InFlight, error: unknown): void {
    entry.done = true;
    this.#options.committed(error);
    while (this.#inFlight[0]?.done) this.#release((this.#inFlight.shift() as InFlight).held);
    if (this.#inFlight.length === 0) {
      const waiters = this.#settledWaiters;
      this.#settledWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #release(held: readonly HeldDatagram[]): void {
    for (const datagram of held) this.#options.send(datagram);
  }
}

/** The store must number messages as the relay announced them; anything else is a bug worth stopping history for. */
function numberingError(appends: readonly StoredMessage[], stored: readonly StoredMessage[]): Error | undefined {
  const mismatch = stored.findIndex((message, index) => message.seq !== appends[index]?.seq);
  if (mismatch < 0) return undefined;
  return new Error(`the store numbered a message ${stored[mismatch]?.seq} where the relay said ${appends[mismatch]?.seq}`);
}
