/**
 * bench:loss — how reliable delivery copes with loss, on real sockets.
 *
 * One sender and ten receivers (real ChatClients, in this process) talk to the relay (the real `udp-chat relay`
 * command, in its own process) through the lossy proxy of test/support/lossy-proxy.ts, which impairs every link in
 * both directions: the same LAN-like delay at every level, and 0, 5, 10 and 20 % loss. Two workloads: 1,000 texts
 * of 200 bytes sent as fast as the API takes them, and one 5 MB image. For each it prints the completion time (first
 * send → every receiver has everything, exactly once and in order), its ratio to the lossless time, goodput, and
 * the retransmission overhead seen by the sender (its channel stats), by the relay (counted on the wire by the
 * proxy: a data datagram whose seq the relay already sent on that link is a retransmission) and by the receivers
 * (duplicates they dropped). Every point is run several times, levels interleaved, and the median is reported.
 *
 * Usage: node dist/bench/loss.js [--runs 5] [--receivers 10] [--levels 0,5,10,20] [--texts 1000] [--image-mb 5]
 *        [--workloads texts,image]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { ChatClient, type TransportStats } from '../src/client/client';
import { ImageFormat } from '../src/protocol/payload';
import { startRelay, stopServer, type StartedRelay } from './lib/server';
import { median } from './lib/stats';
import { LossyProxy, type Direction, type Impairment } from '../test/support/lossy-proxy';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    receivers: { type: 'string', default: '10' },
    levels: { type: 'string', default: '0,5,10,20' },
    texts: { type: 'string', default: '1000' },
    'image-mb': { type: 'string', default: '5' },
    workloads: { type: 'string', default: 'texts,image' },
  },
});

/** Text size of each message, as the issue specifies (bytes of UTF-8). */
const TEXT_BYTES = 200;
/** A LAN: 1 ms ± 0.5 ms each way, at every loss level, so only the loss changes between rows. */
const LAN_DELAY_MS = 1;
const LAN_JITTER_MS = 0.5;
/** A run that has not completed by then is reported as a stall rather than waited for. */
const RUN_LIMIT_MS = 60_000;
/** Pause between runs (ms): the last acks and heartbeats settle so runs do not overlap. */
const SETTLE_MS = 200;
/**
 * Receivers are idle between runs; at 20 % loss each way three heartbeats in a row go unanswered 5 % of the time,
 * and the default (three intervals) would make them rejoin mid-bench. The bench measures delivery, not that.
 */
const RELAY_TIMEOUT_MS = 30_000;

type Workload = 'texts' | 'image';

interface Sample {
  completionMs: number;
  payloadBytes: number;
  senderSent: number;
  senderRetransmitted: number;
  relaySent: number;
  relayRetransmitted: number;
  receiverDelivered: number;
  receiverDuplicates: number;
  /** Proxy-observed fraction of datagrams dropped, both directions (checks the impairment took effect). */
  droppedPercent: number;
}

// ---- what the relay sends, counted on the wire ------------------------------------------------------------------

/** Header fields (docs/protocol.md): magic at 0, type at 3, flags at 4, seq at 12. */
const MAGIC = 0x5543;
const FIRST_MESSAGE_TYPE = 0x10;
const RELIABLE_FLAG = 0x01;

class RelayWireCounter {
  sent = 0;
  retransmitted = 0;
  readonly #highestSeq = new Map<string, number>();

  /** The relay transmits new seqs in ascending order, so a seq at or below the highest seen is a resend. */
  tap = (direction: Direction, client: string, datagram: Buffer): void => {
    if (direction !== 'toClient' || datagram.length < 28 || datagram.readUInt16BE(0) !== MAGIC) return;
    if (datagram[3] === undefined || datagram[3] < FIRST_MESSAGE_TYPE || ((datagram[4] ?? 0) & RELIABLE_FLAG) === 0) return;
    const seq = datagram.readUInt32BE(12);
    const highest = this.#highestSeq.get(client) ?? 0;
    this.sent++;
    if (seq <= highest) this.retransmitted++;
    else this.#highestSeq.set(client, seq);
  };
}

// ---- one setup: relay, proxy, sender, receivers -----------------------------------------------------------------

class Setup {
  readonly received: Array<{ texts: string[]; images: Uint8Array[] }>;

  private constructor(
    readonly relay: StartedRelay,
    readonly proxy: LossyProxy,
    readonly wire: RelayWireCounter,
    readonly sender: ChatClient,
    readonly receivers: ChatClient[],
  ) {
    this.received = receivers.map(() => ({ texts: [], images: [] }));
    receivers.forEach((receiver, index) => {
      const inbox = this.received[index] as { texts: string[]; images: Uint8Array[] };
      receiver.on('message', (message) => inbox.texts.push(message.text));
      receiver.on('image', (image) => inbox.images.push(image.data));
    });
  }

  static async open(lossPercent: number, seed: number, receiverCount: number): Promise<Setup> {
    const relay = await startRelay(true, false);
    const { port } = relay;
    const wire = new RelayWireCounter();
    const impairment: Partial<Impairment> = { lossPercent, delayMs: LAN_DELAY_MS, jitterMs: LAN_JITTER_MS };
    const proxy = await LossyProxy.start({ relayPort: port, seed, toRelay: impairment, toClient: impairment, tap: wire.tap });
    const client = (name: string): ChatClient =>
      new ChatClient({ relayHost: '127.0.0.1', relayPort: proxy.address.port, name, room: 'bench', relayTimeoutMs: RELAY_TIMEOUT_MS });
    const receivers: ChatClient[] = [];
    // One after another, so each link keeps its seed from run to run.
    for (let index = 0; index < receiverCount; index++) {
      const receiver = client(`receiver-${index}`);
      await receiver.connect();
      receivers.push(receiver);
    }
    const sender = client('sender');
    await sender.connect();
    return new Setup(relay, proxy, wire, sender, receivers);
  }

  async close(): Promise<void> {
    this.sender.close();
    for (const receiver of this.receivers) receiver.close();
    await this.proxy.close();
    await stopServer(this.relay.child);
    this.relay.remove();
  }

  async run(workload: Workload, textCount: number, image: Buffer): Promise<Sample> {
    for (const inbox of this.received) {
      inbox.texts.length = 0;
      inbox.images.length = 0;
    }
    const before = this.#snapshot();
    const texts = Array.from({ length: textCount }, (_, index) => `${index}`.padEnd(TEXT_BYTES, '.'));
    const complete =
      workload === 'texts'
        ? (): boolean => this.received.every((inbox) => inbox.texts.length >= texts.length)
        : (): boolean => this.received.every((inbox) => inbox.images.length >= 1);
    const start = performance.now();
    if (workload === 'texts') for (const text of texts) this.sender.sendText(text);
    else this.sender.sendImage({ data: image, width: 4000, height: 3000, format: ImageFormat.Jpeg });
    const completionMs = await waitUntil(complete, start);
    for (const [index, inbox] of this.received.entries()) {
      const intact =
        workload === 'texts'
          ? inbox.texts.length === texts.length && inbox.texts.every((text, at) => text === texts[at])
          : inbox.images.length === 1 && Buffer.from(inbox.images[0] as Uint8Array).equals(image);
      if (!intact) throw new Error(`receiver-${index} did not get the ${workload} exactly once, intact and in order`);
    }
    // Let the sender's last acks arrive, so its counters cover the whole run.
    await waitUntil(() => this.sender.pending().length === 0, performance.now());
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const after = this.#snapshot();
    const payloadBytes = (workload === 'texts' ? texts.length * TEXT_BYTES : image.length) * this.receivers.length;
    const droppedBefore = before.dropped;
    const forwardedAndDropped = after.passed - before.passed;
    return {
      completionMs,
      payloadBytes,
      senderSent: after.sender.sent - before.sender.sent,
      senderRetransmitted: after.sender.retransmitted - before.sender.retransmitted,
      relaySent: after.relaySent - before.relaySent,
      relayRetransmitted: after.relayRetransmitted - before.relayRetransmitted,
      receiverDelivered: after.receiverDelivered - before.receiverDelivered,
      receiverDuplicates: after.receiverDuplicates - before.receiverDuplicates,
      droppedPercent: forwardedAndDropped === 0 ? 0 : (100 * (after.dropped - droppedBefore)) / forwardedAndDropped,
    };
  }

  #snapshot() {
    const stats = (client: ChatClient): TransportStats => {
      const current = client.stats();
      if (!current) throw new Error(`${client.name} has no channel (it is ${client.state})`);
      return current;
    };
    const receivers = this.receivers.map(stats);
    const { toRelay, toClient } = this.proxy.counters;
    return {
      sender: stats(this.sender),
      relaySent: this.wire.sent,
      relayRetransmitted: this.wire.retransmitted,
      receiverDelivered: receivers.reduce((sum, s) => sum + s.delivered, 0),
      receiverDuplicates: receivers.reduce((sum, s) => sum + s.duplicatesDropped, 0),
      dropped: toRelay.dropped + toClient.dropped,
      // Each datagram that reached the proxy was either dropped or forwarded (no duplication in this bench).
      passed: toRelay.dropped + toClient.dropped + toRelay.forwarded + toClient.forwarded,
    };
  }
}

/** Resolves with the time (ms since `start`) at which `condition` first held; checks every millisecond. */
function waitUntil(condition: () => boolean, start: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const now = performance.now();
      if (condition()) resolve(now - start);
      else if (now - start > RUN_LIMIT_MS) reject(new Error(`not complete after ${RUN_LIMIT_MS} ms`));
      else setTimeout(check, 1);
    };
    check();
  });
}

// ---- reporting --------------------------------------------------------------------------------------------------

const percent = (part: number, whole: number): number => (whole === 0 ? 0 : (100 * part) / whole);

async function main(): Promise<void> {
  const runs = Number(args.runs);
  const receiverCount = Number(args.receivers);
  const levels = String(args.levels).split(',').map(Number);
  const textCount = Number(args.texts);
  const image = randomBytes(Math.round(Number(args['image-mb']) * 1024 * 1024));
  const workloads = String(args.workloads).split(',').filter((name): name is Workload => name === 'texts' || name === 'image');
  if (workloads.length === 0) throw new Error('--workloads names texts, image or both');
  console.log(`bench:loss — 1 sender → relay (udp-chat relay, own process) → ${receiverCount} receivers; lossy proxy on every link, both directions`);
  console.log(`  link: ${LAN_DELAY_MS} ms ± ${LAN_JITTER_MS} ms each way at every level (Node timers: ~1-2 ms in practice), no duplication, no reordering`);
  console.log(`  workloads: ${textCount} texts of ${TEXT_BYTES} B sent at once; one ${(image.length / 1024 / 1024).toFixed(1)} MB image (random bytes)`);
  console.log(`  median of ${runs} runs per point, levels interleaved; goodput = payload bytes delivered, summed over receivers, per second`);
  const started = performance.now();

  const samples = new Map<string, Sample[]>();
  for (let run = 0; run < runs; run++) {
    for (const level of levels) {
      const setup = await Setup.open(level, 1000 * (run + 1) + level, receiverCount);
      try {
        for (const workload of workloads) {
          const sample = await setup.run(workload, textCount, image);
          const key = `${workload}:${level}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          process.stderr.write(`  run ${run + 1} ${workload} ${level} %: ${sample.completionMs.toFixed(0)} ms\n`);
        }
      } finally {
        await setup.close();
      }
    }
  }

  const header = [
    'workload'.padEnd(8),
    'loss'.padStart(5),
    'time ms'.padStart(8),
    '× 0 %'.padStart(6),
    'goodput MB/s'.padStart(13),
    'sender rtx %'.padStart(13),
    'relay rtx %'.padStart(12),
    'recv dup %'.padStart(11),
    'dropped %'.padStart(10),
    '  runs (ms)',
  ];
  console.log(header.join(' '));
  const medians = new Map<string, number>();
  for (const workload of workloads) {
    for (const level of levels) {
      const points = samples.get(`${workload}:${level}`) ?? [];
      const time = median(points.map((s) => s.completionMs));
      medians.set(`${workload}:${level}`, time);
      const lossless = medians.get(`${workload}:0`);
      const row = [
        workload.padEnd(8),
        `${level} %`.padStart(5),
        time.toFixed(0).padStart(8),
        (lossless ? (time / lossless).toFixed(2) : '–').padStart(6),
        median(points.map((s) => s.payloadBytes / 1e6 / (s.completionMs / 1000))).toFixed(2).padStart(13),
        median(points.map((s) => percent(s.senderRetransmitted, s.senderSent))).toFixed(1).padStart(13),
        median(points.map((s) => percent(s.relayRetransmitted, s.relaySent))).toFixed(1).padStart(12),
        median(points.map((s) => percent(s.receiverDuplicates, s.receiverDelivered))).toFixed(1).padStart(11),
        median(points.map((s) => s.droppedPercent)).toFixed(1).padStart(10),
        `  ${points.map((s) => s.completionMs.toFixed(0)).join(', ')}`,
      ];
      console.log(row.join(' '));
    }
  }
  console.log('  rtx % = retransmitted / sent data datagrams; recv dup % = duplicates dropped / delivered, over all receivers');
  const ratio = (workload: Workload, level: number): number => (medians.get(`${workload}:${level}`) ?? NaN) / (medians.get(`${workload}:0`) ?? NaN);
  // The floor at 20 % is ~1.25× (each datagram needs 1/(1 − p) sends on average); the closer targets are the
  // performance issue's, the 3× ones the reliability layer's first.
  const targets: Array<[string, number, number]> = [
    ['texts at 20 % loss ≤ 3× lossless', ratio('texts', 20), 3],
    ['image at 10 % loss ≤ 3× lossless', ratio('image', 10), 3],
    ['texts at 20 % loss ≤ 2.0× lossless', ratio('texts', 20), 2],
    ['image at 10 % loss ≤ 1.4× lossless', ratio('image', 10), 1.4],
  ];
  for (const [target, value, limit] of targets) {
    if (!Number.isFinite(value)) console.log(`skipped  ${target} (not measured: pass its workload and level, and 0 %)`);
    else console.log(`${value <= limit ? 'met    ' : 'NOT MET'}  ${target} (${value.toFixed(2)}×)`);
  }
  console.log(`  whole bench: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
