/**
 * Cores for a server bench: everything that loads the server (receivers, sender, this process) is kept off core 0,
 * which the server then has to itself (it may still use the others, for its history thread say). On 2 cores, four
 * busy processes otherwise take turns on both, and a runnable relay waits for the scheduler: bench:relay saw
 * 10–20 ms event-loop gaps in the relay with only 5 ms of its CPU in them, the machine's queue rather than the
 * relay's. The naive forwarder runs the same way, so both sides are measured alike. Linux with `taskset`
 * (util-linux) only; elsewhere nothing is pinned, and the bench says so.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export interface CorePlan {
  /** `taskset -c` list for this process and what it forks; the server is left free, with core 0 kept for it. */
  harness: string;
}

/** A plan when this machine can pin (Linux, 2+ cores, taskset, UDPCHAT_BENCH_PIN not `off`); undefined otherwise. */
export function planCores(): CorePlan | undefined {
  const cores = os.availableParallelism();
  if (process.platform !== 'linux' || cores < 2 || process.env.UDPCHAT_BENCH_PIN === 'off') return undefined;
  if (spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status !== 0) return undefined;
  return { harness: cores === 2 ? '1' : `1-${cores - 1}` };
}

/** Moves every thread of this process to the harness cores; children forked from now on inherit them. */
export function pinHarness(plan: CorePlan): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', plan.harness, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** How the bench's processes sit on this machine's cores, for the heading. */
export function describeCores(plan: CorePlan | undefined): string {
  return plan ? `receivers and sender on core(s) ${plan.harness}, core 0 left to the server` : 'processes not pinned to cores';
}

/** What starts a server with every core again (it would inherit this process's); nothing when nothing is pinned. */
export function serverLauncher(plan: CorePlan | undefined): string[] {
  return plan ? ['taskset', '-c', `0-${os.availableParallelism() - 1}`] : [];
}
