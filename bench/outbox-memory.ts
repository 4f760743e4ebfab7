/**
 * outbox-memory — what a chat client holds while its relay is away.
 *
 * A ChatClient joins a relay address that never answers (a bound UDP socket that reads nothing back), so every
 * message stays in its outbox. Two runs, each on a fresh client: 10,000 typed lines followed by ten 5 MB images,
 * then the ten images alone. Each prints how many were queued and refused, every distinct refusal message, the
 * outbox's own count of bytes held, and the growth of the V8 heap, of the memory held in ArrayBuffers outside it
 * (image bytes), and of the process's resident set, after a garbage collection.
 *
 * Usage: npx tsx bench/outbox-memory.ts
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ChatClient, ChatClientError } from '../src/client/client';
import { ImageFormat } from '../src/protocol/payload';

const TEXTS = 10_000;
const IMAGES = 10;
/** "5 MB" as people say it: 5 MiB of already compressed image. */
const IMAGE_BYTES = 5 * 1024 * 1024;
/** A typical typed line, bytes. */
const LINE = 'a line typed while the relay is away, about sixty bytes long';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memory(): { heap: number; buffers: number; rss: number } {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, buffers: usage.arrayBuffers, rss: usage.rss };
}

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

async function silentAddress(): Promise<{ port: number; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => socket.close() };
}

async function run(label: string, texts: number, images: number): Promise<void> {
  const silent = await silentAddress();
  const client = new ChatClient({ relayHost: '127.0.0.1', relayPort: silent.port, name: 'bench' });
  client.connect().catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 100)); // the socket is open and the first Join went out
  const before = memory();
  const refusals = new Map<string, number>();
  const counts = { texts: 0, images: 0 };
  const attempt = (send: () => void, kind: 'texts' | 'images'): void => {
    try {
      send();
      counts[kind]++;
    } catch (error) {
      const key = error instanceof ChatClientError ? `${error.code}: ${error.message}` : String(error);
      refusals.set(key, (refusals.get(key) ?? 0) + 1);
    }
  };
  for (let i = 0; i < texts; i++) attempt(() => client.sendText(`${LINE} #${i}`), 'texts');
  for (let i = 0; i < images; i++) {
    // A fresh buffer each time, dropped by us at once: whatever stays is what the client keeps.
    attempt(() => client.sendImage({ data: randomBytes(IMAGE_BYTES), width: 640, height: 480, format: ImageFormat.Jpeg }), 'images');
  }
  const after = memory();
  const usage = client.outboxUsage;
  console.log(`\n${label}`);
  console.log(`  queued: ${counts.texts} of ${texts} texts, ${counts.images} of ${images} images of ${mib(IMAGE_BYTES)}`);
  console.log(`  outbox: ${usage.messages} messages, ${mib(usage.bytes)} counted`);
  console.log(
    `  growth: heap ${mib(after.heap - before.heap)}, buffers ${mib(after.buffers - before.buffers)}, ` +
      `RSS ${mib(after.rss - before.rss)} (RSS now ${mib(after.rss)})`,
  );
  for (const [message, count] of refusals) console.log(`  refused ×${count}: ${message}`);
  client.close();
  silent.close();
}

async function main(): Promise<void> {
  await run(`${TEXTS} texts, then ${IMAGES} images`, TEXTS, IMAGES);
  await run(`${IMAGES} images alone`, 0, IMAGES);
}

void main();
