/**
 * A Clock for tests on @sinonjs/fake-timers: time moves only when the test says so, so timing behaviours
 * (heartbeats, eviction, back-off, time-outs) are checked at exact times with no sleeping.
 */
import FakeTimers from '@sinonjs/fake-timers';
import type { Clock, ClockTimer } from '../../src/util/clock';

export interface FakeClock extends Clock {
  /** Advances time by `ms`, firing every timer due on the way, in order. */
  tick(ms: number): void;
  /** Jumps `ms` ahead at once, as a blocked event loop does: each timer due on the way fires once, late. */
  jump(ms: number): void;
  /** Advances time by `ms`, letting promises and I/O callbacks run between timers. */
  tickAsync(ms: number): Promise<void>;
  /** Timers armed and not yet fired. */
  readonly pendingTimers: number;
}

export function createFakeClock(startMs = 1_000_000, wallStartMs = Date.UTC(2026, 0, 1)): FakeClock {
  const clock = FakeTimers.createClock(startMs);
  const wallOffset = wallStartMs - startMs;
  return {
    now: () => clock.now,
    wallNow: () => clock.now + wallOffset,
    setTimeout: (callback, delayMs) => clock.setTimeout(callback, delayMs) as unknown as ClockTimer,
    clearTimeout: (timer) => clock.clearTimeout(timer as unknown as FakeTimers.TimerId),
    tick: (ms) => {
      clock.tick(ms);
    },
    jump: (ms) => {
      clock.jump(ms);
    },
    tickAsync: async (ms) => {
      await clock.tickAsync(ms);
    },
    get pendingTimers() {
      return clock.countTimers();
    },
  };
}
