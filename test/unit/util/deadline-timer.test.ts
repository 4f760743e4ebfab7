import assert from 'node:assert/strict';
import { DeadlineTimer, STALL_MS, stallMs } from '../../../src/util/deadline-timer';
import { createFakeClock } from '../../support/fake-clock';

describe('util/deadline-timer', () => {
  it('fires once at the earliest deadline asked for, telling which deadline fired', () => {
    const clock = createFakeClock(0);
    const fired: Array<[number, number]> = [];
    const timer = new DeadlineTimer((dueAt) => fired.push([dueAt, clock.now()]), clock);
    timer.wake(500);
    timer.wake(300);
    timer.wake(400);
    clock.tick(1000);
    assert.deepEqual(fired, [[300, 300]]);
  });

  it('counts a timer as stalled only from STALL_MS late, by all its lateness', () => {
    assert.equal(stallMs(1000, 1000 + STALL_MS - 1), 0);
    assert.equal(stallMs(1000, 1000 + STALL_MS), STALL_MS);
    assert.equal(stallMs(1000, 3500), 2500);
  });
});
