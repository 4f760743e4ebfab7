/**
 * bench:history's relay parts: what history costs on the wire.
 *
 *   backlog  a late joiner receiving a 1,000-message backlog (pages of 200, paced) against the same 1,000 texts
 *            live to a member already in the room: time from the first text sent to the last one received (live),
 *            and from the joiner's `ready` to its `backlog-end` (backlog); their ratio
 *   fanout   the bench:relay workload (dist/bench/relay.js: 100 receivers, 1,000 texts/s) with history on and off:
 *            deliveries per second and the relay's CPU, and the ratio on/off (target ≥ 0.8). Extra arguments for
 *            bench:relay (a lighter workload on a small machine: "--receivers 10") come from $BENCH_RELAY_ARGS.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { ChatClient } from '../../src/client/client';
import { openSqliteHistoryStore } from '../../src/history/sqlite-store';
import { Relay } from '../../src/relay/relay';

/** The shapes bench/history.ts prints (structurally the same). */
interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: { atMost?: number; atLeast?: number };
}
interface PartOptions {
  dir: string;
}

/** Texts of the backlog part, and their size (bytes), as bench:relay sends them. */
const BACKLOG_MESSAGES = 1000;
const TEXT_BYTES = 200;
/** Longest either half of the backlog part may take before it counts as failed (ms). */
const BACKLOG_TIMEOUT_MS = 120_000;

function waitFor(condition: () => boolean, what: string, timeoutMs = BACKLOG_TIMEOUT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (performance.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 1);
    };
    check();
  });
}

function client(port: number, name: string, history?: { initial: number }): ChatClient {
  return new ChatClient({ relayHost: '127.0.0.1', relayPort: port, name, history, deliveryTimeoutMs: BACKLOG_TIMEOUT_MS });
}

export async function benchBacklog(options: PartOptions): Promise<Figure[]> {
  const store = openSqliteHistoryStore(path.join(options.dir, 'backlog', 'relay-history.sqlite'));
  const relay = await Relay.start({ host: '127.0.0.1', port: 0, history: { store } });
  const clients: ChatClient[] = [];
  try {
    const { port } = relay.address;
    const ann = client(port, 'ann');
    const bob = client(port, 'bob');
    clients.push(ann, bob);
    await ann.connect();
    await bob.connect();
    let live = 0;
    bob.on('message', () => void live++);
    const text = 'x'.repeat(TEXT_BYTES);
    const liveStart = performance.now();
    for (let index = 0; index < BACKLOG_MESSAGES; index++) ann.sendText(`${index} ${text}`.slice(0, TEXT_BYTES));
    await waitFor(() => live === BACKLOG_MESSAGES, 'the live texts');
    const liveMs = performance.now() - liveStart;

    const carol = client(port, 'carol', { initial: BACKLOG_MESSAGES });
    clients.push(carol);
    let backlog = 0;
    let ended = false;
    carol.on('message', (message) => void (message.backlog && backlog++));
    carol.on('backlog-end', () => void (ended = true));
    let readyAt = 0;
    carol.on('ready', () => void (readyAt = performance.now()));
    await carol.connect();
    await waitFor(() => ended, 'the backlog');
    const backlogMs = performance.now() - readyAt;
    if (backlog !== BACKLOG_MESSAGES) throw new Error(`the backlog had ${backlog} of ${BACKLOG_MESSAGES} messages`);
    return [
      { name: `backlog: ${BACKLOG_MESSAGES} texts live, first sent to last received`, value: liveMs, unit: 'ms' },
      { name: `backlog: the same ${BACKLOG_MESSAGES} as a late joiner's backlog, ready to backlog-end`, value: backlogMs, unit: 'ms' },
      { name: 'backlog: ratio backlog / live', value: backlogMs / liveMs, unit: '×' },
    ];
  } finally {
    for (const member of clients) member.close();
    await relay.close();
  }
}

interface RelayBenchResult {
  name: string;
  deliveriesPerSecond: number;
  serverCpuPercent: number;
  lossPercent: number;
  p99: number;
}

/** One run of dist/bench/relay.js; its UDP Chat result line. */
async function runRelayBench(history: 'on' | 'off'): Promise<RelayBenchResult> {
  const extra = (process.env['BENCH_RELAY_ARGS'] ?? '').split(' ').filter((word) => word.length > 0);
  const child = spawn(process.execPath, [path.join(__dirname, 'relay.js'), '--result-json', '--history', history, ...extra], { stdio: ['ignore', 'pipe', 'ignore'] });
  let result: RelayBenchResult | undefined;
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('RESULT ')) return;
    const parsed = JSON.parse(line.slice('RESULT '.length)) as Record<keyof RelayBenchResult, unknown>;
    // JSON writes NaN (nothing delivered) as null.
    const figure = (value: unknown): number => (typeof value === 'number' ? value : NaN);
    if (typeof parsed.name === 'string' && parsed.name.startsWith('UDP Chat')) {
      result = {
        name: parsed.name,
        deliveriesPerSecond: figure(parsed.deliveriesPerSecond),
        serverCpuPercent: figure(parsed.serverCpuPercent),
        lossPercent: figure(parsed.lossPercent),
        p99: figure(parsed.p99),
      };
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (!result) throw new Error(`bench:relay with history ${history} printed no result (exit ${code})`);
  return result;
}

export async function benchFanout(): Promise<Figure[]> {
  const off = await runRelayBench('off');
  const on = await runRelayBench('on');
  return [
    { name: 'fanout: history off, deliveries/s (bench:relay workload)', value: off.deliveriesPerSecond, unit: '/s' },
    { name: 'fanout: history on, deliveries/s', value: on.deliveriesPerSecond, unit: '/s' },
    // A ratio of deliveries says nothing once either side loses messages (it hides a saturated relay): both
    // losses are judged too, and the ratio counts only when both are 0 %.
    { name: 'fanout: ratio on / off', value: on.deliveriesPerSecond / off.deliveriesPerSecond, unit: '×', target: { atLeast: 0.8 } },
    { name: 'fanout: loss with history off', value: off.lossPercent, unit: '%', target: { atMost: 0 } },
    { name: 'fanout: loss with history on', value: on.lossPercent, unit: '%', target: { atMost: 0 } },
    { name: 'fanout: relay CPU, history off', value: off.serverCpuPercent, unit: '%' },
    { name: 'fanout: relay CPU, history on', value: on.serverCpuPercent, unit: '%' },
    { name: 'fanout: p99 latency, history off', value: off.p99, unit: 'ms' },
    { name: 'fanout: p99 latency, history on', value: on.p99, unit: 'ms' },
  ];
}
