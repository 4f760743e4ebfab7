/**
 * How often a new-message notification may appear: at most one per interval, and the one that appears counts
 * the messages that were held back since the last. Pure: time is an argument.
 */

/** At most one new-message notification per this many ms; the rest are summed into the next. */
export const NOTIFY_INTERVAL_MS = 5000;

export class NotificationThrottle {
  readonly #intervalMs: number;
  #lastShownAt = -Infinity;
  #held = 0;

  constructor(intervalMs = NOTIFY_INTERVAL_MS) {
    this.#intervalMs = intervalMs;
  }

  /** A message that would notify arrived at `now` (ms): show a notification, and how many others it stands for? */
  offer(now: number): { show: false } | { show: true; more: number } {
    if (now - this.#lastShownAt < this.#intervalMs) {
      this.#held++;
      return { show: false };
    }
    this.#lastShownAt = now;
    const more = this.#held;
    this.#held = 0;
    return { show: true, more };
  }
}
