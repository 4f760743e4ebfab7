/**
 * bench:e2e — end to end on loopback, as a user sees it: a typed text until it shows at 10 receivers, and Send
 * Image of a 12 MP photo until the image is saved at 2 receivers, each with its parts.
 *
 * The relay is the real `udp-chat relay` command (with history); the text sender is a ChatClient in a process of
 * its own (bench/lib/sender.ts) pacing texts at a chat rate; the receivers are ChatClients in this process that
 * note when each `message` event fires (benchNow(), one clock for all processes). The image goes from a ChatClient
 * in this process through the ImageCompressor (warmed first, as the extension does when the chat opens) to two
 * receivers, which save it as the extension does (saveReceivedImage).
 * Usage: node dist/bench/e2e.js [--rate 20] [--seconds 5] [--encrypted] [--images 5]
 */
import { fork, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ChatClient } from '../src/client/client';
import { saveReceivedImage } from '../src/files/save-image';
import { ImageCompressor } from '../src/image';
import { ImageFormat } from '../src/protocol/payload';
import { IMAGE_INPUTS_DIR, PHOTO_12MP_FILE } from './lib/image-inputs';
import { benchNow, nextMessage, serveSender, type SenderConfig } from './lib/sender';
import { startRelay, stopServer } from './lib/server';
import { median, percentileOfSorted } from './lib/stats';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '5' },
    encrypted: { type: 'boolean', default: false },
    images: { type: 'string', default: '5' },
    serve: { type: 'string' },
  },
});

const TEXT_RECEIVERS = 10;
const IMAGE_RECEIVERS = 2;
/** A chat line (bytes of UTF-8). */
const TEXT_BYTES = 100;
const WARMUP_MS = 1000;
/** After the last text, time for stragglers (ms). */
const DRAIN_MS = 500;
const PASSPHRASE = 'bench passphrase';
/** As the extension's default udpChat.image.maxWidth / maxHeight. */
const IMAGE_BOX = { maxWidth: 640, maxHeight: 480 };
/** As the extension's save limit (pixels). */
const SAVE_MAX_PIXELS = 50_000_000;

const TARGET_TEXT_P99_MS = 5;
const TARGET_IMAGE_MS = 300;

async function joinAll(port: number, names: string[]): Promise<ChatClient[]> {
  const clients = names.map(
    (name) => new ChatClient({ relayHost: '127.0.0.1', relayPort: port, name, room: 'bench', passphrase: args.encrypted ? PASSPHRASE : undefined }),
  );
  for (const client of clients) await client.connect();
  return clients;
}

async function texts(port: number): Promise<void> {
  const receivers = await joinAll(port, Array.from({ length: TEXT_RECEIVERS }, (_, index) => `reader-${index}`));
  const arrivals: Array<[string, number]> = [];
  for (const receiver of receivers) receiver.on('message', (message) => arrivals.push([message.id, benchNow()]));
  const sender = fork(__filename, ['--serve', 'sender']);
  try {
    const config: SenderConfig = {
      variant: 'chat',
      port,
      rate: Number(args.rate),
      seconds: Number(args.seconds),
      warmupMs: WARMUP_MS,
      textBytes: TEXT_BYTES,
      passphrase: args.encrypted ? PASSPHRASE : undefined,
    };
    const ready = nextMessage(sender, 'ready');
    sender.send(config);
    await ready;
    const done = nextMessage(sender, 'done');
    sender.send({ kind: 'go' });
    const { report } = await done;
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    const sentAt = new Map(report.sent.filter(([, at]) => at >= report.windowStart && at < report.windowEnd));
    const latencies = arrivals.filter(([id]) => sentAt.has(id)).map(([id, at]) => at - (sentAt.get(id) as number));
    latencies.sort((a, b) => a - b);
    const expected = (sentAt.size + report.refusedAt.length) * TEXT_RECEIVERS;
    const p99 = percentileOfSorted(latencies, 0.99);
    console.log(
      `text, ${config.rate} msg/s to ${TEXT_RECEIVERS} receivers${args.encrypted ? ' (sealed)' : ''}: ${latencies.length} of ${expected} arrived; ` +
        `p50 ${percentileOfSorted(latencies, 0.5).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${(latencies[latencies.length - 1] ?? NaN).toFixed(2)} ms`,
    );
    console.log(`${p99 <= TARGET_TEXT_P99_MS && latencies.length === expected ? 'met    ' : 'NOT MET'}  text p99 ≤ ${TARGET_TEXT_P99_MS} ms, nothing lost`);
  } finally {
    await stopServer(sender);
    for (const receiver of receivers) receiver.close();
  }
}

async function images(port: number): Promise<void> {
  const file = path.join(IMAGE_INPUTS_DIR, PHOTO_12MP_FILE);
  if (!fs.existsSync(file)) {
    const made = spawnSync(process.execPath, [path.join(__dirname, 'image.js'), '--inputs-only'], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error('could not make the 12 MP input (bench:image --inputs-only)');
  }
  const saveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-bench-e2e-'));
  const [sender, ...receivers] = await joinAll(port, ['photographer', ...Array.from({ length: IMAGE_RECEIVERS }, (_, index) => `viewer-${index}`)]);
  const compressor = new ImageCompressor({ workerPath: path.join(__dirname, '..', 'image-worker.js') });
  try {
    const warmStart = benchNow();
    await compressor.warm();
    console.log(`image worker warmed in ${(benchNow() - warmStart).toFixed(0)} ms (when the chat opens, off the critical path)`);
    const parts = { compress: [] as number[], transfer: [] as number[], save: [] as number[], total: [] as number[] };
    for (let run = 0; run < Number(args.images); run++) {
      const t0 = benchNow();
      const image = await compressor.compressFile(file, IMAGE_BOX);
      const t1 = benchNow();
      const saved = Promise.all(
        receivers.map(
          (receiver) =>
            new Promise<{ arrived: number; saved: number }>((resolve, reject) => {
              receiver.once('image', (received) => {
                const arrived = benchNow();
                saveReceivedImage(path.join(saveDir, receiver.name), received, SAVE_MAX_PIXELS).then(() => resolve({ arrived, saved: benchNow() }), reject);
              });
            }),
        ),
      );
      sender?.sendImage({ data: image.data, width: image.width, height: image.height, format: ImageFormat.Jpeg });
      const ends = await saved;
      const arrived = Math.max(...ends.map((end) => end.arrived));
      const done = Math.max(...ends.map((end) => end.saved));
      parts.compress.push(t1 - t0);
      parts.transfer.push(arrived - t1);
      parts.save.push(done - arrived);
      parts.total.push(done - t0);
    }
    const show = (values: number[]): string => `${median(values).toFixed(0)} ms`;
    console.log(
      `Send Image, 12 MP photo to ${IMAGE_RECEIVERS} receivers (median of ${parts.total.length}): compress ${show(parts.compress)}, ` +
        `transfer ${show(parts.transfer)}, save ${show(parts.save)}, total ${show(parts.total)}`,
    );
    console.log(`${median(parts.total) <= TARGET_IMAGE_MS ? 'met    ' : 'NOT MET'}  image ≤ ${TARGET_IMAGE_MS} ms with a warm worker`);
  } finally {
    await compressor.dispose();
    for (const client of [sender, ...receivers]) client?.close();
    fs.rmSync(saveDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (args.serve === 'sender') return serveSender();
  const relay = await startRelay(true, false);
  const { child, port } = relay;
  try {
    console.log(`bench:e2e — loopback, relay with history, ${os.cpus().length} cores, load ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
    await texts(port);
    await images(port);
  } finally {
    await stopServer(child);
    relay.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
