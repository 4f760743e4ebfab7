/**
 * Keeps a sealed room's replay high-water marks across runs, so a relay cannot replay to a restarted client what it
 * had already opened: loaded from a ReplayMarkStore before the join, saved at most once per SAVE_INTERVAL_MS while
 * messages open, and once more on close. A store that fails, answers with damage or an unknown version, or does not
 * answer at all is logged and ignored: the client then has only this run's windows, as without a store.
 */
import { formatHostPort } from '../protocol/address';
import { decodeReplayMarks, encodeReplayMarks, type ReplayMark } from '../protocol/replay-marks';
import type { ContentOpener } from '../protocol/room-crypto';
import type { Clock, ClockTimer } from '../util/clock';
import type { ReplayMarkScope, ReplayMarkStore } from './types';

/** At most one save per this many ms (a busy room does not write per message; a crash loses at most this much). */
export const SAVE_INTERVAL_MS = 1000;
/** A store that has not loaded by then is given up on (ms): the join goes on without marks. */
export const LOAD_WAIT_MS = 5000;
/** How long closing waits for the last save (ms): leave() settles even when the store never does. */
export const FINAL_SAVE_WAIT_MS = 2000;

/** The scope of a room on a relay: the relay as formatHostPort writes it. */
export function replayMarkScope(relayHost: string, relayPort: number, room: string): ReplayMarkScope {
  return { relay: formatHostPort(relayHost, relayPort), room };
}

/** What the keeper reads of the room's opener. */
export type MarkSource = Pick<ContentOpener, 'revision' | 'exportMarks'>;

type Log = (level: 'debug' | 'info' | 'warn', message: string) => void;

export class ReplayMarkKeeper {
  readonly #store: ReplayMarkStore;
  readonly #scope: ReplayMarkScope;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #opener: () => MarkSource | undefined;
  /** The opener and revision last saved: nothing to write while they are current. */
  #saved: { opener: MarkSource | undefined; revision: number } = { opener: undefined, revision: 0 };
  #timer: ClockTimer | undefined;
  /** The saves, one after another: an older one never lands after a newer one. Never rejects. */
  #saving: Promise<void> = Promise.resolve();
  #closed = false;

  /** `opener`: the room's opener, asked at each save (undefined in an open room, or before the keys exist). */
  constructor(store: ReplayMarkStore, scope: ReplayMarkScope, opener: () => MarkSource | undefined, clock: Clock, log: Log) {
    this.#store = store;
    this.#scope = scope;
    this.#opener = opener;
    this.#clock = clock;
    this.#log = log;
  }

  /** The scope's marks from the store; none when it has none, fails, holds something else or is too slow. */
  async load(): Promise<ReplayMark[]> {
    const where = describe(this.#scope);
    const loaded = await bounded(
      Promise.resolve().then(() => this.#store.load(this.#scope)),
      this.#clock,
      LOAD_WAIT_MS,
      () => new Error(`no answer within ${LOAD_WAIT_MS} ms`),
    ).catch((error: unknown) => {
      this.#warn(`could not load the replay marks of ${where}, so messages sealed before this run are not recognised: ${errorText(error)}`);
      return undefined;
    });
    if (loaded === undefined) return [];
    if (!(loaded instanceof Uint8Array)) {
      this.#warn(`ignored the replay marks of ${where}: the store returned no bytes`);
      return [];
    }
    const decoded = decodeReplayMarks(loaded);
    if (decoded.ok) {
      this.#log('debug', `loaded ${decoded.marks.length} replay marks of ${where}`);
      return decoded.marks;
    }
    if (decoded.reason === 'unknown-version') {
      this.#warn(`ignored the replay marks of ${where}: schema version ${decoded.version} is not one this client reads`);
    } else {
      this.#warn(`ignored the replay marks of ${where}: they are damaged (${decoded.detail})`);
    }
    return [];
  }

  /** Datagrams were handled: a save is due within SAVE_INTERVAL_MS when a window moved since the last one. */
  changed(): void {
    if (this.#closed || this.#timer !== undefined || !this.#dirty()) return;
    this.#timer = this.#clock.setTimeout(this.#timerOnFire, SAVE_INTERVAL_MS);
  }

  /** Saves what changed and stops saving (close, leave); settles within FINAL_SAVE_WAIT_MS, never rejects. */
  flush(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#save();
    return bounded(this.#saving, this.#clock, FINAL_SAVE_WAIT_MS, () => new Error(`no answer within ${FINAL_SAVE_WAIT_MS} ms`)).catch((error: unknown) => {
      this.#warn(`could not save the replay marks of ${describe(this.#scope)}: ${errorText(error)}`);
    });
  }

  #warn(message: string): void {
    if (this.#store.report) this.#store.report(message);
    else this.#log('warn', message);
  }

  #timerOnFire = (): void => {
    this.#timer = undefined;
    this.#save();
  };

  /** A live message opened since the last save (restored marks are what the store already holds). */
  #dirty(): boolean {
    const opener = this.#opener();
    return opener !== undefined && opener.revision > 0 && (opener !== this.#saved.opener || opener.revision !== this.#saved.revision);
  }

  #save(): void {
    const opener = this.#opener();
    if (!opener || !this.#dirty()) return;
    const saved = { opener, revision: opener.revision };
    const marks = encodeReplayMarks(opener.exportMarks());
    this.#saved = saved;
    this.#saving = this.#saving
      .then(() => this.#store.save(this.#scope, marks))
      .then(undefined, (error: unknown) => {
        this.#warn(`could not save the replay marks of ${describe(this.#scope)}: ${errorText(error)}`);
        // Tried again at the next change.
        if (this.#saved === saved) this.#saved = { opener: undefined, revision: 0 };
      });
  }
}

/** `promise`, or the error `late()` makes when it has not settled within `ms` of the clock. */
function bounded<T>(promise: Promise<T>, clock: Clock, ms: number, late: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(late()), ms);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function describe(scope: ReplayMarkScope): string {
  return `room "${scope.room}" at ${scope.relay}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
