/**
 * bench:relay — the relay's fan-out against a naive dgram forwarder, measured in the same run.
 *
 * One sender sends 200-byte texts at a steady 1,000 messages/s to a relay with 100 receivers. Each server runs
 * in its own process (the relay as the real `udp-chat relay` command); sender and receivers share this process,
 * so sending and receiving times come from one clock. The naive forwarder copies every datagram it gets to every
 * receiver and nothing else: no protocol, no membership checks, no acknowledgements, no retransmission. Our
 * receivers speak the real protocol with the real reliability layer (they acknowledge, so the relay does all of
 * its real work), but keep no UI state.
 *
 * Prints deliveries/s of both, their ratio, loss %, p50/p99/max latency and the server's CPU use.
 * With --encrypted the room is sealed with a passphrase: the sender seals every text end to end and every member
 * proves the room key when it joins (the relay's work per datagram is the same hop authentication either way).
 * Usage: node dist/bench/relay.js [--seconds 5] [--receivers 100] [--rate 1000] [--encrypted]
 */
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { ChatClient, ChatClientError } from '../src/client/client';
import { ProtocolReceiver } from './lib/receiver';
import { RELAY_COMMAND, startServer, stopServer } from './lib/server';
import { deriveRoomKeys } from '../src/protocol/room-crypto';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    receivers: { type: 'string', default: '100' },
    rate: { type: 'string', default: '1000' },
    serve: { type: 'string' },
    encrypted: { type: 'boolean', default: false },
  },
});

/** The passphrase of the bench room when run with --encrypted. */
const BENCH_PASSPHRASE = 'bench passphrase';

/** Text size of each message, as the issue specifies (bytes of UTF-8). */
const TEXT_BYTES = 200;
/** Traffic before measuring starts (ms): sockets, JIT and the relay's windows settle. */
const WARMUP_MS = 1000;
/** Time after the last send to let stragglers (retransmissions) arrive (ms). */
const DRAIN_MS = 1000;
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

class Recorder {
  readonly sentAt = new Map<bigint, number>();
  readonly latencies: number[] = [];
  windowStart = Infinity;
  windowEnd = Infinity;
  sentInWindow = 0;
  /** Messages the sender's client refused (its outbox full: the relay is not keeping up); they count as lost. */
  refused = 0;

  /** A message the client refused at `at`: in the window, it is a message that reached nobody. */
  refusedAt(at: number): void {
    this.refused++;
    if (at >= this.windowStart && at < this.windowEnd) this.sentInWindow++;
  }

  sent(id: bigint, at: number): void {
    this.sentAt.set(id, at);
    if (at >= this.windowStart && at < this.windowEnd) this.sentInWindow++;
  }

  delivered(id: bigint, at: number): void {
    const sentAt = this.sentAt.get(id);
    if (sentAt === undefined || sentAt < this.windowStart || sentAt >= this.windowEnd) return;
    this.latencies.push(at - sentAt);
  }
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

/** CPU time (user + system, ms) a process has used, from /proc. */
function cpuTimeMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** Sends `send()` at `rate` per second from now until `until`, catching up after late timer ticks. */
function pace(rate: number, until: number, send: () => void): Promise<void> {
  return new Promise((resolve) => {
    const start = performance.now();
    let count = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.floor(((Math.min(now, until) - start) * rate) / 1000);
      while (count < due) {
        send();
        count++;
      }
      if (now >= until) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
}

interface Result {
  name: string;
  deliveriesPerSecond: number;
  lossPercent: number;
  p50: number;
  p99: number;
  max: number;
  serverCpuPercent: number;
}

// ---- naive run --------------------------------------------------------------------------------------------------

async function runNaive(receiverCount: number, rate: number, seconds: number): Promise<Result> {
  const { child, port } = await startServer([__filename, '--serve', 'naive']);
  const recorder = new Recorder();
  const sockets: dgram.Socket[] = [];
  try {
    for (let i = 0; i < receiverCount; i++) {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      socket.on('message', (datagram) => recorder.delivered(datagram.readBigUInt64BE(0), performance.now()));
      socket.send('REG', port, '127.0.0.1');
      sockets.push(socket);
    }
    const sender = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
    sockets.push(sender);
    let next = 1n;
    return await measure('naive dgram forwarder', child, recorder, rate, seconds, () => {
      const id = next++;
      // A fresh buffer each time: dgram reads it only when the send happens, after this function returns.
      const payload = Buffer.alloc(TEXT_BYTES, 'x');
      payload.writeBigUInt64BE(id, 0);
      recorder.sent(id, performance.now());
      sender.send(payload, port, '127.0.0.1');
    }, receiverCount);
  } finally {
    for (const socket of sockets) socket.close();
    await stopServer(child);
  }
}

// ---- UDP Chat run -----------------------------------------------------------------------------------------------

async function runUdpChat(receiverCount: number, rate: number, seconds: number): Promise<Result> {
  const { child, port } = await startServer(RELAY_COMMAND);
  const recorder = new Recorder();
  const receivers: ProtocolReceiver[] = [];
  let ticker: NodeJS.Timeout | undefined;
  let sender: ChatClient | undefined;
  const roomKeys = args.encrypted ? await deriveRoomKeys(BENCH_PASSPHRASE, 'bench') : undefined;
  try {
    // Heartbeats run from the start: joining a hundred members takes a while, and the first must stay members.
    ticker = setInterval(() => {
      const now = performance.now();
      for (const receiver of receivers) receiver.tick(now);
    }, 2);
    for (let i = 0; i < receiverCount; i++) {
      const receiver = new ProtocolReceiver(port, roomKeys, (id) => recorder.delivered(id, performance.now()));
      await receiver.join(`receiver-${i}`);
      receivers.push(receiver);
    }
    sender = new ChatClient({
      relayHost: '127.0.0.1',
      relayPort: port,
      name: 'sender',
      room: 'bench',
      passphrase: args.encrypted ? BENCH_PASSPHRASE : undefined,
    });
    await sender.connect();
    const text = 'x'.repeat(TEXT_BYTES);
    const client = sender;
    return await measure(args.encrypted ? 'UDP Chat relay, sealed' : 'UDP Chat relay', child, recorder, rate, seconds, () => {
      let id: bigint;
      try {
        id = BigInt(`0x${client.sendText(text)}`);
      } catch (error) {
        if (!(error instanceof ChatClientError) || error.code !== 'outbox-full') throw error;
        recorder.refusedAt(performance.now());
        return;
      }
      recorder.sent(id, performance.now());
    }, receiverCount);
  } finally {
    if (ticker) clearInterval(ticker);
    sender?.close();
    for (const receiver of receivers) receiver.close();
    await stopServer(child);
  }
}

async function measure(
  name: string,
  server: ChildProcess,
  recorder: Recorder,
  rate: number,
  seconds: number,
  send: () => void,
  receiverCount: number,
): Promise<Result> {
  const start = performance.now();
  recorder.windowStart = start + WARMUP_MS;
  recorder.windowEnd = recorder.windowStart + seconds * 1000;
  let cpuAtStart = NaN;
  const cpuStartTimer = setTimeout(() => (cpuAtStart = cpuTimeMs(server.pid ?? 0)), WARMUP_MS);
  await pace(rate, recorder.windowEnd, send);
  clearTimeout(cpuStartTimer);
  const cpuAtEnd = cpuTimeMs(server.pid ?? 0);
  await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
  if (recorder.refused > 0) console.log(`${name}: the sender's outbox refused ${recorder.refused} messages (counted as lost)`);
  const expected = recorder.sentInWindow * receiverCount;
  const latencies = recorder.latencies.sort((a, b) => a - b);
  return {
    name,
    deliveriesPerSecond: latencies.length / seconds,
    lossPercent: expected === 0 ? NaN : (100 * (expected - latencies.length)) / expected,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? NaN,
    serverCpuPercent: (100 * (cpuAtEnd - cpuAtStart)) / (seconds * 1000),
  };
}

async function main(): Promise<void> {
  if (args.serve === 'naive') return serveNaive();
  const receiverCount = Number(args.receivers);
  const rate = Number(args.rate);
  const seconds = Number(args.seconds);
  console.log(
    `bench:relay — ${receiverCount} receivers, ${rate} messages/s of ${TEXT_BYTES}-byte text, ${seconds} s measured after ${WARMUP_MS} ms warm-up` +
      (args.encrypted ? ', room sealed with a passphrase' : ''),
  );
  const naive = await runNaive(receiverCount, rate, seconds);
  const ours = await runUdpChat(receiverCount, rate, seconds);
  const row = (result: Result): string =>
    [
      result.name.padEnd(24),
      result.deliveriesPerSecond.toFixed(0).padStart(12),
      result.lossPercent.toFixed(3).padStart(8),
      result.p50.toFixed(3).padStart(9),
      result.p99.toFixed(3).padStart(9),
      result.max.toFixed(3).padStart(9),
      result.serverCpuPercent.toFixed(0).padStart(7),
    ].join(' ');
  console.log(['variant'.padEnd(24), 'deliveries/s'.padStart(12), 'loss %'.padStart(8), 'p50 ms'.padStart(9), 'p99 ms'.padStart(9), 'max ms'.padStart(9), 'cpu %'.padStart(7)].join(' '));
  console.log(row(naive));
  console.log(row(ours));
  const ratio = ours.deliveriesPerSecond / naive.deliveriesPerSecond;
  console.log(`ratio (UDP Chat / naive deliveries per second): ${ratio.toFixed(3)}`);
  const targets = [
    ['ratio ≥ 0.5', ratio >= 0.5],
    ['UDP Chat loss 0 %', ours.lossPercent === 0],
    ['UDP Chat p99 ≤ 2 ms', ours.p99 <= 2],
  ] as const;
  for (const [target, met] of targets) console.log(`${met ? 'met    ' : 'NOT MET'}  ${target}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
