/**
 * Time as the edges see it. Pure state machines take `now` as an argument; the socket edges (client, relay) read
 * it from a Clock and arm their one timer through it, so tests replace it with a fake clock and drive heartbeats,
 * eviction, back-off and time-outs at exact times without sleeping.
 */
export interface Clock {
  /** Monotonic time, ms (the origin is arbitrary). */
  now(): number;
  /** Wall-clock time, ms since the Unix epoch: only for timestamps people read (a message's "sent at"). */
  wallNow(): number;
  /** Calls `callback` once after `delayMs`. The timer never keeps the process alive on its own. */
  setTimeout(callback: () => void, delayMs: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

/** An opaque handle from `Clock.setTimeout`. */
export type ClockTimer = { readonly __clockTimer: unique symbol } | object;

/** The process's clocks: `performance.now()` for intervals, `Date.now()` for timestamps. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, delayMs);
    // Sockets, not timers, decide whether the process stays alive.
    handle.unref();
    return handle;
  },
  clearTimeout(timer) {
    clearTimeout(timer as NodeJS.Timeout);
  },
};
