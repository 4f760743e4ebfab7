/**
 * Typing notices: how often a client says it is typing, and how long a receiver shows it. Pure (time comes in).
 */

/** A client sends at most one Typing per this many ms while its user types: a lost one is replaced by the next. */
export const TYPING_INTERVAL_MS = 3000;
/**
 * A receiver shows "NAME is typing…" this long (ms) after the last Typing from NAME: two intervals, so one lost
 * datagram does not make the notice flicker.
 */
export const TYPING_EXPIRES_MS = 2 * TYPING_INTERVAL_MS;

/** When the next Typing may go out. */
export class TypingThrottle {
  #lastSentAt = -Infinity;

  /** True when a Typing may be sent at `now` (ms, monotonic). */
  due(now: number): boolean {
    return now - this.#lastSentAt >= TYPING_INTERVAL_MS;
  }

  sent(now: number): void {
    this.#lastSentAt = now;
  }
}
