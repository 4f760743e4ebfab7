/**
 * bench:relay — the relay's fan-out against a naive dgram forwarder, measured in the same run.
 *
 * One sender sends 200-byte texts at a steady 1,000 messages/s to a relay with 100 receivers. Each server runs
 * in its own process (the relay as the real `udp-chat relay` command), and so does the sender (bench/lib/sender.ts):
 * the receivers share this process, and no receiver's datagram waits behind the sender's sealing, nor the
 * sender's acks behind a hundred receivers. Times come from one machine-wide monotonic clock. The naive forwarder
 * copies every datagram it gets to every receiver and nothing else: no protocol, no membership checks, no
 * acknowledgements, no retransmission. Our receivers speak the real protocol with the real reliability layer
 * (they acknowledge, so the relay does all of its real work), but keep no UI state.
 *
 * Prints deliveries/s of both, their ratio, loss %, p50/p99/max latency, the CPU use of the server, of the
 * receivers (this process) and of the sender, and the datagrams the kernel dropped for full receive buffers
 * (machine-wide: when it is not 0, some process did not keep up).
 * With --encrypted the room is sealed with a passphrase: the sender seals and signs every text end to end and
 * every member proves the room key when it joins (the relay's work per datagram is the same hop authentication
 * either way).
 * The relay keeps history (in a temporary folder) unless --history off; --result-json adds a `RESULT {...}` line
 * per variant for bench:history.
 * With --sweep it measures capacity instead of one fixed load: both servers at each offered load of --rates
 * (messages/s; × receivers = deliveries/s offered), each side's capacity (the highest load carried with no loss and
 * p99 ≤ 10 ms, bench/lib/capacity.ts), their ratio, and the CPU each spends per delivery at the highest load both
 * carried. The receivers share one process: when its CPU nears 100 % the step measures this machine, not a server,
 * and the table says so.
 * With --bulk it measures bulk fan-out instead: one --image-mb image to each of --bulk-receivers, the relay's egress
 * against the naive forwarder carrying the same datagrams, and loopback's rate as the reference (bench/lib/bulk.ts).
 * On Linux with taskset, this process (receivers, sender) stays off core 0 and the servers have it to themselves
 * (bench/lib/cores.ts; UDPCHAT_BENCH_PIN=off to not pin).
 * Usage: node dist/bench/relay.js [--seconds 5] [--receivers 100] [--rate 1000] [--encrypted] [--history on|off]
 *        [--result-json] [--sweep [--rates 250,500,1000,2000,4000]] [--bulk [--bulk-receivers 10,100] [--image-mb 5]]
 */
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';
import { ProtocolReceiver, ReceiverGroup, SharedRoomKeys } from './lib/receiver';
import { benchNow, nextMessage, serveSender, type SenderConfig } from './lib/sender';
import { relayWithHistory, startRelay, startServer, stopServer } from './lib/server';
import { capacity, carried, cpuMicrosPerDelivery } from './lib/capacity';
import { runBulk, serveSink, type BulkServers } from './lib/bulk';
import { describeCores, pinHarness, planCores, serverLauncher, type CorePlan } from './lib/cores';
import { cpuTimeMs, kernelReceiveDrops, Recorder } from './lib/recorder';
import { percentileOfSorted } from './lib/stats';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    receivers: { type: 'string', default: '100' },
    rate: { type: 'string', default: '1000' },
    serve: { type: 'string' },
    encrypted: { type: 'boolean', default: false },
    // on: the relay keeps history (in a fresh temporary folder, removed after); off: --no-history.
    history: { type: 'string', default: 'on' },
    // Also print each result as one `RESULT {...}` JSON line (bench:history reads them).
    'result-json': { type: 'boolean', default: false },
    sweep: { type: 'boolean', default: false },
    rates: { type: 'string', default: '250,500,1000,2000,4000' },
    bulk: { type: 'boolean', default: false },
    'bulk-receivers': { type: 'string', default: '10,100' },
    'image-mb': { type: 'string', default: '5' },
  },
});

/** Where the servers and the load run (bench/lib/cores.ts); set by main, undefined when nothing is pinned. */
let cores: CorePlan | undefined;

/** The passphrase of the bench room when run with --encrypted. */
const BENCH_PASSPHRASE = 'bench passphrase';

/** Text size of each message, as the issue specifies (bytes of UTF-8). */
const TEXT_BYTES = 200;
/** Traffic before measuring starts (ms): sockets, JIT and the relay's windows settle. */
const WARMUP_MS = 1000;
/** Time after the last send to let stragglers (retransmissions) arrive (ms). */
const DRAIN_MS = 1000;
/** Receivers' CPU (% of one core) from which a step is bound by this machine's one receiving process. */
const HARNESS_BOUND_CPU_PERCENT = 90;
/** Kernel receive buffer per socket (bytes): large enough that the bench measures the relay, not the kernel. */
const RECEIVE_BUFFER_BYTES = 1 << 20;

// ---- the naive forwarder (child process) ------------------------------------------------------------------------

function serveNaive(): void {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  const receivers: Array<{ port: number; address: string }> = [];
  socket.on('message', (datagram, remote) => {
    if (datagram.length === 3 && datagram.toString() === 'REG') {
      receivers.push({ port: remote.port, address: remote.address });
      return;
    }
    for (const receiver of receivers) socket.send(datagram, receiver.port, receiver.address);
  });
  socket.bind(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ event: 'listening', host: '127.0.0.1', port: socket.address().port })}\n`);
  });
  process.once('SIGTERM', () => socket.close(() => process.exit(0)));
}

// ---- measuring --------------------------------------------------------------------------------------------------

interface Result {
  name: string;
  deliveriesPerSecond: number;
  lossPercent: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU use (% of one core) during the window: the server, this process (the receivers), the sender. */
  serverCpuPercent: number;
  receiversCpuPercent: number;
  senderCpuPercent: number;
  /** Datagrams dropped by the kernel for full receive buffers during the window (any process on this machine). */
  kernelDrops: number;
}

/** The CPU time of each process and the kernel's drops, at one moment. */
function snapshot(server: ChildProcess, sender: ChildProcess): number[] {
  return [cpuTimeMs(server.pid), cpuTimeMs(process.pid), cpuTimeMs(sender.pid), kernelReceiveDrops()];
}

/**
 * Forks the sender, lets it connect, and measures: warm-up, `seconds` of sending at `rate`, then DRAIN_MS for
 * stragglers. The sender is stopped before this returns.
 */
async function measure(name: string, server: ChildProcess, recorder: Recorder, config: SenderConfig, receiverCount: number): Promise<Result> {
  const sender = fork(__filename, ['--serve', 'sender']);
  try {
    const ready = nextMessage(sender, 'ready');
    sender.send(config);
    await ready;
    const windowStart = nextMessage(sender, 'window-start');
    const windowEnd = nextMessage(sender, 'window-end');
    const done = nextMessage(sender, 'done');
    sender.send({ kind: 'go' });
    await windowStart;
    const before = snapshot(server, sender);
    await windowEnd;
    const after = snapshot(server, sender);
    const { report } = await done;
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    if (report.refusedAt.length > 0) console.log(`${name}: the sender's outbox refused ${report.refusedAt.length} messages (counted as lost)`);
    const { latencies, expected } = recorder.latencies(report, receiverCount);
    const cpuPercent = (index: number): number => (100 * ((after[index] as number) - (before[index] as number))) / (config.seconds * 1000);
    return {
      name,
      deliveriesPerSecond: latencies.length / config.seconds,
      lossPercent: expected === 0 ? NaN : (100 * (expected - latencies.length)) / expected,
      p50: percentileOfSorted(latencies, 0.5),
      p99: percentileOfSorted(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? NaN,
      serverCpuPercent: cpuPercent(0),
      receiversCpuPercent: cpuPercent(1),
      senderCpuPercent: cpuPercent(2),
      kernelDrops: (after[3] as number) - (before[3] as number),
    };
  } finally {
    await stopServer(sender);
  }
}

function senderConfig(variant: SenderConfig['variant'], port: number, rate: number, seconds: number): SenderConfig {
  const passphrase = variant === 'chat' && args.encrypted ? BENCH_PASSPHRASE : undefined;
  return { variant, port, rate, seconds, warmupMs: WARMUP_MS, textBytes: TEXT_BYTES, passphrase };
}

// ---- naive run --------------------------------------------------------------------------------------------------

async function runNaive(receiverCount: number, rate: number, seconds: number): Promise<Result> {
  const { child, port } = await startServer([__filename, '--serve', 'naive'], true, serverLauncher(cores));
  const recorder = new Recorder();
  const sockets: dgram.Socket[] = [];
  try {
    for (let i = 0; i < receiverCount; i++) {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      socket.on('message', (datagram) => recorder.delivered(datagram.readBigUInt64BE(0), benchNow()));
      socket.send('REG', port, '127.0.0.1');
      sockets.push(socket);
    }
    return await measure('naive dgram forwarder', child, recorder, senderConfig('naive', port, rate, seconds), receiverCount);
  } finally {
    for (const socket of sockets) socket.close();
    await stopServer(child);
  }
}

// ---- UDP Chat run -----------------------------------------------------------------------------------------------

async function runUdpChat(receiverCount: number, rate: number, seconds: number): Promise<Result> {
  const relay = await startRelay(args.history !== 'off', true, serverLauncher(cores));
  const { child, port } = relay;
  const recorder = new Recorder();
  // Derived once, with the salt of the relay's first Challenge, for all the receivers.
  const roomKeys = args.encrypted ? new SharedRoomKeys(BENCH_PASSPHRASE, 'bench') : undefined;
  let group: ReceiverGroup | undefined;
  try {
    group = await ReceiverGroup.join(receiverCount, () => new ProtocolReceiver(port, roomKeys, (id) => recorder.delivered(id, benchNow())));
    const name = args.encrypted ? 'UDP Chat relay, sealed' : 'UDP Chat relay';
    const result = await measure(name, child, recorder, senderConfig('chat', port, rate, seconds), receiverCount);
    printReceiverCounts(group.receivers);
    return result;
  } finally {
    group?.close();
    await stopServer(child);
    relay.remove();
  }
}

/** The receivers' channel counters, summed over the whole run: duplicates mean the relay resent what had arrived. */
function printReceiverCounts(receivers: readonly ProtocolReceiver[]): void {
  const sum = { delivered: 0, duplicatesDropped: 0, outOfWindowDropped: 0, acksSent: 0 };
  for (const receiver of receivers) {
    const stats = receiver.stats;
    if (!stats) continue;
    for (const key of Object.keys(sum) as Array<keyof typeof sum>) sum[key] += stats[key];
  }
  console.log(`receivers: ${sum.delivered} delivered, ${sum.duplicatesDropped} duplicates, ${sum.outOfWindowDropped} beyond the window, ${sum.acksSent} acks sent`);
}

async function main(): Promise<void> {
  if (args.serve === 'naive') return serveNaive();
  if (args.serve === 'sender') return serveSender();
  if (args.serve === 'sink') return serveSink();
  cores = planCores();
  if (cores && !pinHarness(cores)) cores = undefined;
  const receiverCount = Number(args.receivers);
  const rate = Number(args.rate);
  const seconds = Number(args.seconds);
  if (args.sweep) return sweep(receiverCount, seconds);
  if (args.bulk) return bulk();
  console.log(
    `bench:relay — ${receiverCount} receivers, ${rate} messages/s of ${TEXT_BYTES}-byte text, ${seconds} s measured after ${WARMUP_MS} ms warm-up` +
      (args.encrypted ? ', room sealed with a passphrase' : '') +
      `; ${describeCores(cores)}`,
  );
  const naive = await runNaive(receiverCount, rate, seconds);
  const ours = await runUdpChat(receiverCount, rate, seconds);
  const columns: Array<[string, number, (result: Result) => string]> = [
    ['deliveries/s', 12, (result) => result.deliveriesPerSecond.toFixed(0)],
    ['loss %', 8, (result) => result.lossPercent.toFixed(3)],
    ['p50 ms', 9, (result) => result.p50.toFixed(3)],
    ['p99 ms', 9, (result) => result.p99.toFixed(3)],
    ['max ms', 9, (result) => result.max.toFixed(3)],
    ['cpu %', 7, (result) => result.serverCpuPercent.toFixed(0)],
    ['receivers cpu %', 16, (result) => result.receiversCpuPercent.toFixed(0)],
    ['sender cpu %', 13, (result) => result.senderCpuPercent.toFixed(0)],
    ['kernel drops', 13, (result) => String(result.kernelDrops)],
  ];
  console.log(['variant'.padEnd(24), ...columns.map(([title, width]) => title.padStart(width))].join(' '));
  for (const result of [naive, ours]) {
    console.log([result.name.padEnd(24), ...columns.map(([, width, cell]) => cell(result).padStart(width))].join(' '));
  }
  if (args['result-json']) for (const result of [naive, ours]) console.log(`RESULT ${JSON.stringify({ ...result, history: args.history })}`);
  const ratio = ours.deliveriesPerSecond / naive.deliveriesPerSecond;
  console.log(`ratio (UDP Chat / naive deliveries per second): ${ratio.toFixed(3)}`);
  const targets = [
    ['ratio ≥ 0.5', ratio >= 0.5],
    ['UDP Chat loss 0 %', ours.lossPercent === 0],
    ['UDP Chat p99 ≤ 2 ms', ours.p99 <= 2],
  ] as const;
  for (const [target, met] of targets) console.log(`${met ? 'met    ' : 'NOT MET'}  ${target}`);
}

// ---- capacity sweep ---------------------------------------------------------------------------------------------

async function sweep(receiverCount: number, seconds: number): Promise<void> {
  const rates = args.rates.split(',').map(Number).filter((rate) => Number.isFinite(rate) && rate > 0);
  console.log(
    `bench:relay --sweep — ${receiverCount} receivers, ${TEXT_BYTES}-byte texts at ${rates.join(', ')} messages/s, ${seconds} s each` +
      (args.encrypted ? ', room sealed with a passphrase' : '') +
      `, history ${args.history}; ${describeCores(cores)}`,
  );
  const header = ['offered/s', 'variant', 'deliveries/s', 'loss %', 'p50 ms', 'p99 ms', 'cpu %', 'µs cpu/delivery', 'receivers cpu %', 'carried'];
  const widths = [10, 24, 12, 8, 9, 9, 6, 16, 16, 8];
  const row = (cells: string[]): string => cells.map((cell, index) => (index === 1 ? cell.padEnd(widths[index] as number) : cell.padStart(widths[index] as number))).join(' ');
  console.log(row(header));
  const naiveSteps: Array<Result & { offered: number }> = [];
  const oursSteps: Array<Result & { offered: number }> = [];
  for (const rate of rates) {
    const offered = rate * receiverCount;
    const naive = { ...(await runNaive(receiverCount, rate, seconds)), offered };
    const ours = { ...(await runUdpChat(receiverCount, rate, seconds)), offered };
    naiveSteps.push(naive);
    oursSteps.push(ours);
    for (const result of [naive, ours]) {
      const harnessBound = result.receiversCpuPercent >= HARNESS_BOUND_CPU_PERCENT ? ' (receivers at their limit)' : '';
      console.log(
        row([
          String(offered),
          result.name,
          result.deliveriesPerSecond.toFixed(0),
          result.lossPercent.toFixed(3),
          result.p50.toFixed(2),
          result.p99.toFixed(2),
          result.serverCpuPercent.toFixed(0),
          cpuMicrosPerDelivery(result).toFixed(2),
          result.receiversCpuPercent.toFixed(0),
          carried(result) ? 'yes' : 'no',
        ]) + harnessBound,
      );
    }
  }
  const naiveCapacity = capacity(naiveSteps);
  const oursCapacity = capacity(oursSteps);
  const capacityRatio = naiveCapacity === 0 ? NaN : oursCapacity / naiveCapacity;
  console.log(`capacity (deliveries/s with 0 % loss and p99 ≤ 10 ms): naive ${naiveCapacity}, UDP Chat ${oursCapacity}, ratio ${capacityRatio.toFixed(3)}`);
  // CPU per delivery where both carried the load in full: the same work done, so the figures compare.
  const common = Math.min(naiveCapacity, oursCapacity);
  const naiveAt = naiveSteps.find((step) => step.offered === common);
  const oursAt = oursSteps.find((step) => step.offered === common);
  const cpuRatio = naiveAt && oursAt ? cpuMicrosPerDelivery(oursAt) / cpuMicrosPerDelivery(naiveAt) : NaN;
  if (naiveAt && oursAt) {
    console.log(
      `cpu per delivery at ${common} deliveries/s: naive ${cpuMicrosPerDelivery(naiveAt).toFixed(2)} µs, UDP Chat ${cpuMicrosPerDelivery(oursAt).toFixed(2)} µs, ratio ${cpuRatio.toFixed(2)}`,
    );
  } else {
    console.log('cpu per delivery: no load both carried in full');
  }
  const targets = [
    ['capacity ratio ≥ 0.7', capacityRatio >= 0.7],
    ['cpu per delivery ≤ 1.3 × naive', cpuRatio <= 1.3],
  ] as const;
  for (const [target, met] of targets) console.log(`${met ? 'met    ' : 'NOT MET'}  ${target}`);
}

// ---- bulk fan-out -----------------------------------------------------------------------------------------------

async function bulk(): Promise<void> {
  const counts = args['bulk-receivers'].split(',').map(Number).filter((count) => Number.isInteger(count) && count > 0);
  const imageBytes = Math.round(Number(args['image-mb']) * 1_000_000);
  const relay = relayWithHistory(args.history !== 'off');
  const servers: BulkServers = {
    relay: relay.command,
    naive: [__filename, '--serve', 'naive'],
    sink: [__filename, '--serve', 'sink'],
    launcher: serverLauncher(cores),
    cpuTimeMs,
    passphrase: args.encrypted ? BENCH_PASSPHRASE : undefined,
  };
  console.log(
    `bench:relay --bulk — one ${args['image-mb']} MB image to ${counts.join(' and ')} receivers, lossless` +
      (args.encrypted ? ', room sealed with a passphrase' : '') +
      `, history ${args.history}; ${describeCores(cores)}`,
  );
  try {
    await runBulk(servers, counts, imageBytes);
  } finally {
    relay.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
