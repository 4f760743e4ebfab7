/**
 * One timer for a whole state machine: edges ask state machines when they next need to run and call `wake(at)`;
 * the timer keeps only the earliest deadline. Times are in ms on the given clock's `now()`.
 */
import type { Clock, ClockTimer } from './clock';

/**
 * A timer that fires this late (ms) means the process was blocked (a busy event loop), not that peers went quiet:
 * what they sent meanwhile is still unread in the socket. Far above a loaded machine's timer jitter.
 */
export const STALL_MS = 200;

/** How long (ms) the process was stalled, judged from a timer due at `dueAt` firing at `now`: 0 below STALL_MS. */
export function stallMs(dueAt: number, now: number): number {
  const lateMs = now - dueAt;
  return lateMs >= STALL_MS ? lateMs : 0;
}

export class DeadlineTimer {
  /** Called with the deadline that fired (ms on the clock), so the edge can tell how late it ran. */
  readonly #fire: (dueAt: number) => void;
  readonly #clock: Clock;
  #handle: ClockTimer | undefined;
  #at: number | undefined;
  #disposed = false;

  constructor(fire: (dueAt: number) => void, clock: Clock) {
    this.#fire = fire;
    this.#clock = clock;
  }

  /** The deadline currently set, if any (ms on the clock). */
  get at(): number | undefined {
    return this.#at;
  }

  /** Makes sure the timer fires no later than `at` (earlier deadlines already set are kept). */
  wake(at: number | undefined): void {
    if (at === undefined || this.#disposed) return;
    if (this.#at !== undefined && this.#at <= at) return;
    this.#set(at);
  }

  /** Replaces whatever deadline is set with `at` (undefined: none). */
  reset(at: number | undefined): void {
    this.#clear();
    if (at !== undefined && !this.#disposed) this.#set(at);
  }

  dispose(): void {
    this.#disposed = true;
    this.#clear();
  }

  #set(at: number): void {
    this.#clear();
    this.#at = at;
    const delay = Math.max(0, Math.ceil(at - this.#clock.now()));
    this.#handle = this.#clock.setTimeout(this.#onTimeout, delay);
  }

  #clear(): void {
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = undefined;
  }

  #onTimeout = (): void => {
    const dueAt = this.#at as number;
    this.#handle = undefined;
    this.#at = undefined;
    this.#fire(dueAt);
  };
}
