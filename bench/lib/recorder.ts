/** What bench:relay records while it measures: deliveries as they arrive, a process's CPU time, the kernel's drops. */
import fs from 'node:fs';
import type { SenderReport } from './sender';

/**
 * Deliveries as they arrive (id, benchNow ms); matched to the sender's report once it is in. Kept in typed arrays:
 * a hundred thousand bigints a second would be promoted and copied by every scavenge of the receivers' process,
 * pauses that would show as the servers' latency.
 */
export class Recorder {
  #ids = new BigUint64Array(1 << 16);
  #at = new Float64Array(1 << 16);
  #count = 0;

  delivered(id: bigint, at: number): void {
    if (this.#count === this.#ids.length) {
      const ids = new BigUint64Array(this.#ids.length * 2);
      ids.set(this.#ids);
      this.#ids = ids;
      const times = new Float64Array(this.#at.length * 2);
      times.set(this.#at);
      this.#at = times;
    }
    this.#ids[this.#count] = id;
    this.#at[this.#count] = at;
    this.#count++;
  }

  /** Latencies (ms, sorted) of deliveries of messages sent in the window, and how many deliveries were due. */
  latencies(report: SenderReport, receiverCount: number): { latencies: number[]; expected: number } {
    const inWindow = (at: number): boolean => at >= report.windowStart && at < report.windowEnd;
    const sentAt = new Map<bigint, number>();
    for (const [id, at] of report.sent) if (inWindow(at)) sentAt.set(BigInt(`0x${id}`), at);
    // A refused message reached nobody: it counts as due to every receiver.
    const refused = report.refusedAt.filter(inWindow).length;
    const latencies: number[] = [];
    for (let i = 0; i < this.#count; i++) {
      const at = sentAt.get(this.#ids[i] as bigint);
      if (at !== undefined) latencies.push((this.#at[i] as number) - at);
    }
    return { latencies: latencies.sort((a, b) => a - b), expected: (sentAt.size + refused) * receiverCount };
  }
}

/** CPU time (user + system, ms) a process has used, from /proc. */
export function cpuTimeMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** Datagrams the kernel dropped for a full socket receive buffer, machine-wide (UDP RcvbufErrors of /proc/net/snmp). */
export function kernelReceiveDrops(): number {
  try {
    const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((line) => line.startsWith('Udp: '));
    const names = lines[0]?.split(' ') ?? [];
    const values = lines[1]?.split(' ') ?? [];
    return Number(values[names.indexOf('RcvbufErrors')]);
  } catch {
    return NaN;
  }
}
