/**
 * Capacity from a sweep of offered loads: the highest load a server carried in full and on time. A throughput
 * ratio at one fixed load hides saturation (both sides "keep up" while one has a standing queue of half a second),
 * so capacity counts a step only with nothing lost and the 99th percentile within a bound.
 */

/** What one step of a sweep measured for one server. */
export interface StepFigures {
  /** Deliveries per second offered: messages per second × receivers. */
  offered: number;
  deliveriesPerSecond: number;
  lossPercent: number;
  p99: number;
  /** CPU use of the server (% of one core). */
  serverCpuPercent: number;
}

/** A step counts towards capacity with no loss and p99 at or under this (ms): chat that feels instant. */
export const CAPACITY_P99_MS = 10;

/** Whether a step was carried in full and on time. */
export function carried(step: StepFigures): boolean {
  return step.lossPercent === 0 && step.p99 <= CAPACITY_P99_MS;
}

/**
 * The highest offered load carried, counting only steps below the first one that was not (a server that fails at
 * 100k and "passes" at 200k by luck has a capacity of the step before 100k); 0 when the first step already failed.
 */
export function capacity(steps: readonly StepFigures[]): number {
  let best = 0;
  for (const step of [...steps].sort((a, b) => a.offered - b.offered)) {
    if (!carried(step)) break;
    best = step.offered;
  }
  return best;
}

/** Server CPU time per delivery (µs) at a step; NaN when nothing was delivered. */
export function cpuMicrosPerDelivery(step: StepFigures): number {
  if (step.deliveriesPerSecond <= 0) return NaN;
  return (step.serverCpuPercent / 100) * 1e6 / step.deliveriesPerSecond;
}
