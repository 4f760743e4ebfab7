/**
 * bench:idle — what an open chat costs when nobody says anything: the ChatClient the extension and the CLI run,
 * joined to a relay (the real `udp-chat relay` command, in its own process), idle for --seconds. Prints this
 * process's CPU use and how often its event loop woke up (timers, immediates and datagrams, counted with
 * async_hooks), against the same process's baseline measured first. The extension host's own parts (the panel,
 * the unread watch) are not in it: they wake only when something happens.
 * Targets (issue: an open, silent chat stays cheap): CPU < 1 %, at most 5 wake-ups a second.
 * Usage: node dist/bench/idle.js [--seconds 10]
 */
import { createHook } from 'node:async_hooks';
import { parseArgs } from 'node:util';
import { ChatClient } from '../src/client/client';
import { RELAY_COMMAND, startServer, stopServer } from './lib/server';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } });
const SECONDS = Number(args.seconds);
const TARGET_CPU_PERCENT = 1;
const TARGET_WAKEUPS_PER_SECOND = 5;
/** After joining, time for the join's own work (backlog, member list, key derivation) to end (ms). */
const SETTLE_MS = 2000;

/** Callbacks the event loop runs, by kind, while counting. */
function wakeupCounter(): { start(): void; stop(): Map<string, number> } {
  const kinds = new Map<number, string>();
  const counts = new Map<string, number>();
  let counting = false;
  const hook = createHook({
    init(asyncId, type) {
      kinds.set(asyncId, type);
    },
    before(asyncId) {
      if (!counting) return;
      const kind = kinds.get(asyncId) ?? 'unknown';
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    },
    destroy(asyncId) {
      kinds.delete(asyncId);
    },
  });
  hook.enable();
  return {
    start: () => {
      counting = true;
    },
    stop: () => {
      counting = false;
      hook.disable();
      return counts;
    },
  };
}

async function measure(label: string, counter: ReturnType<typeof wakeupCounter>): Promise<{ cpuPercent: number; wakeups: number; byKind: Map<string, number> }> {
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  counter.start();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const byKind = counter.stop();
  const elapsedMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  // The measuring timer itself woke the loop once.
  const wakeups = Math.max(0, [...byKind.values()].reduce((sum, count) => sum + count, 0) - 1);
  const cpuPercent = (100 * (cpu.user + cpu.system)) / 1000 / elapsedMs;
  console.log(
    `${label.padEnd(34)} cpu ${cpuPercent.toFixed(2)} %, ${(wakeups / SECONDS).toFixed(1)} wake-ups/s (${[...byKind].map(([kind, count]) => `${kind} ${count}`).join(', ') || 'none'})`,
  );
  return { cpuPercent, wakeups, byKind };
}

async function main(): Promise<void> {
  console.log(`bench:idle — ${SECONDS} s of silence`);
  await measure('baseline: this process, no chat', wakeupCounter());
  const { child, port } = await startServer([...RELAY_COMMAND, '--no-history'], false);
  const clients: ChatClient[] = [];
  try {
    const client = new ChatClient({ relayHost: '127.0.0.1', relayPort: port, name: 'alice', room: 'idle' });
    clients.push(client);
    await client.connect();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const alice = await measure('a joined client (alice), silent', wakeupCounter());
    const met = (ok: boolean): string => (ok ? 'met    ' : 'NOT MET');
    console.log(`${met(alice.cpuPercent < TARGET_CPU_PERCENT)}  cpu < ${TARGET_CPU_PERCENT} %`);
    console.log(`${met(alice.wakeups / SECONDS <= TARGET_WAKEUPS_PER_SECOND)}  at most ${TARGET_WAKEUPS_PER_SECOND} wake-ups a second`);
  } finally {
    for (const client of clients) client.close();
    await stopServer(child);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
