/**
 * One timer for a whole state machine: edges ask state machines when they next need to run and call `wake(at)`;
 * the timer keeps only the earliest deadline. Times are in ms on the given clock's `now()`.
 */
import type { Clock, ClockTimer } from './clock';

export class DeadlineTimer {
  readonly #fire: () => void;
  readonly #clock: Clock;
  #handle: ClockTimer | undefined;
  #at: number | undefined;
  #disposed = false;

  constructor(fire: () => void, clock: Clock) {
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
    this.#handle = undefined;
    this.#at = undefined;
    this.#fire();
  };
}
