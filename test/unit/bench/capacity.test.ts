import assert from 'node:assert/strict';
import { capacity, carried, cpuMicrosPerDelivery, type StepFigures } from '../../../bench/lib/capacity';

const step = (offered: number, lossPercent: number, p99: number, serverCpuPercent = 50): StepFigures => ({
  offered,
  deliveriesPerSecond: offered * (1 - lossPercent / 100),
  lossPercent,
  p99,
  serverCpuPercent,
});

describe('bench/lib/capacity', () => {
  it('counts a step as carried only with no loss and p99 within 10 ms', () => {
    assert.equal(carried(step(25_000, 0, 10)), true);
    assert.equal(carried(step(25_000, 0, 10.5)), false);
    assert.equal(carried(step(25_000, 0.001, 1)), false);
  });

  it('is the highest offered load carried before the first step that was not', () => {
    assert.equal(capacity([step(25_000, 0, 1), step(50_000, 0, 4), step(100_000, 0, 40), step(200_000, 0, 2)]), 50_000);
  });

  it('reads the steps in order of load, whatever order they come in', () => {
    assert.equal(capacity([step(50_000, 0, 4), step(25_000, 0, 1)]), 50_000);
  });

  it('is 0 when even the lightest load was not carried', () => {
    assert.equal(capacity([step(25_000, 1, 1), step(50_000, 0, 1)]), 0);
  });

  it('gives the server CPU per delivery in µs, NaN when nothing was delivered', () => {
    assert.equal(cpuMicrosPerDelivery(step(50_000, 0, 1, 50)), 10);
    assert.ok(Number.isNaN(cpuMicrosPerDelivery({ ...step(50_000, 0, 1), deliveriesPerSecond: 0 })));
  });
});
