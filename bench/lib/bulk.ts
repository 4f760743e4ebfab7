/**
 * The bulk fan-out step of bench:relay: one image of several MB to 10 and to 100 receivers, lossless. The relay
 * carries it as the product does (the sender's reliable channel in, one paced reliable channel per receiver out);
 * the naive forwarder carries the same datagrams (as many, of the same sizes), fed by a sender that keeps a window
 * of datagrams in flight and watches them arrive, an ideal transport with no acknowledgements to pay for. Both are
 * reported as the server's egress (datagram bytes delivered to all receivers, per second), next to what loopback
 * carries one way between two Node processes: the physical reference.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { ChatClient } from '../../src/client/client';
import { AUTH_TAG_BYTES, HEADER_BYTES, ROOM_SEQ_TRAILER_BYTES } from '../../src/protocol/constants';
import { ImageFormat } from '../../src/protocol/payload';
import type { MessageFragment as Fragment } from '../../src/protocol/types';
import { ProtocolReceiver, ReceiverGroup, SharedRoomKeys } from './receiver';
import { startServer, stopServer } from './server';

/** A run that has not completed by then is reported with what arrived. */
const BULK_LIMIT_MS = 120_000;
/** Datagrams the naive side keeps in flight: far below any socket buffer here, enough to keep its forwarder busy. */
const NAIVE_WINDOW = 256;
/** The naive side gives a datagram up as lost after this long without any progress (ms). */
const NAIVE_STALL_MS = 500;
/** How long (ms) the loopback reference sends, and the size of its datagrams (bytes: a full fragment's). */
const LOOPBACK_MS = 1000;
const LOOPBACK_DATAGRAM_BYTES = 1200;
/** Socket buffers (bytes) of the bulk step's senders and receivers: a whole window of datagrams, and then some. */
const BULK_SOCKET_BUFFER_BYTES = 4 << 20;

export interface BulkResult {
  name: string;
  receivers: number;
  /** Datagrams per receiver and their total size (bytes, headers and tags included). */
  datagrams: number;
  datagramBytes: number;
  elapsedMs: number;
  /** Datagram bytes delivered to all receivers per second (MB = 10^6 bytes). */
  egressMBps: number;
  lossPercent: number;
  /** CPU use (% of one core) of the server while it carried the image. */
  serverCpuPercent: number;
}

export interface BulkServers {
  /** The relay's command (after node) and the naive forwarder's; `launcher` goes before node (cores.ts). */
  relay: string[];
  naive: string[];
  sink: string[];
  launcher: string[];
  cpuTimeMs: (pid: number | undefined) => number;
  passphrase: string | undefined;
}

/** Wire size of a fragment as the relay sends it: header, chunk, the room number on the last one, the hop tag. */
function wireBytes(fragment: Fragment): number {
  const last = fragment.fragmentIndex === fragment.fragmentCount - 1;
  return HEADER_BYTES + fragment.chunk.length + (last ? ROOM_SEQ_TRAILER_BYTES : 0) + AUTH_TAG_BYTES;
}

/** A run's figures from what it delivered (`deliveredShare` of every datagram to every receiver) and its server's CPU. */
function figures(name: string, receivers: number, sizes: readonly number[], elapsedMs: number, deliveredShare: number, cpuMs: number): BulkResult {
  const datagramBytes = sizes.reduce((sum, size) => sum + size, 0);
  return {
    name,
    receivers,
    datagrams: sizes.length,
    datagramBytes,
    elapsedMs,
    egressMBps: (datagramBytes * receivers * deliveredShare) / (elapsedMs * 1000),
    lossPercent: 100 * (1 - deliveredShare),
    serverCpuPercent: (100 * cpuMs) / elapsedMs,
  };
}

/** The image through the real relay; also returns the wire size of each datagram, for the naive side to copy. */
export async function bulkThroughRelay(servers: BulkServers, receiverCount: number, imageBytes: number): Promise<{ result: BulkResult; sizes: number[] }> {
  const { child, port } = await startServer(servers.relay, true, servers.launcher);
  const roomKeys = servers.passphrase === undefined ? undefined : new SharedRoomKeys(servers.passphrase, 'bench');
  const received = new Array<number>(receiverCount).fill(0);
  const sizes: number[] = [];
  let expected = 0;
  let done = 0;
  let finished: () => void = () => {};
  const complete = new Promise<void>((resolve) => (finished = resolve));
  let group: ReceiverGroup | undefined;
  const sender = new ChatClient({ relayHost: '127.0.0.1', relayPort: port, name: 'sender', room: 'bench', passphrase: servers.passphrase });
  try {
    let index = 0;
    group = await ReceiverGroup.join(receiverCount, () => {
      const me = index++;
      return new ProtocolReceiver(port, roomKeys, () => {}, (fragment) => {
        expected = fragment.fragmentCount;
        if (me === 0) sizes.push(wireBytes(fragment));
        if (++(received[me] as number) === expected && ++done === receiverCount) finished();
      });
    });
    await sender.connect();
    const image = randomBytes(imageBytes);
    const cpuBefore = servers.cpuTimeMs(child.pid);
    const start = performance.now();
    sender.sendImage({ data: image, width: 4000, height: 3000, format: ImageFormat.Jpeg });
    await Promise.race([complete, new Promise((resolve) => setTimeout(resolve, BULK_LIMIT_MS).unref())]);
    const elapsedMs = performance.now() - start;
    const name = servers.passphrase === undefined ? 'UDP Chat relay' : 'UDP Chat relay, sealed';
    const deliveredShare = received.reduce((sum, count) => sum + count, 0) / Math.max(1, expected * receiverCount);
    return { sizes, result: figures(name, receiverCount, sizes, elapsedMs, deliveredShare, servers.cpuTimeMs(child.pid) - cpuBefore) };
  } finally {
    sender.close();
    group?.close();
    await stopServer(child);
  }
}

/** The same datagrams (count and sizes) through the naive forwarder, `NAIVE_WINDOW` in flight at a time. */
export async function bulkThroughNaive(servers: BulkServers, receiverCount: number, sizes: readonly number[]): Promise<BulkResult> {
  const { child, port } = await startServer(servers.naive, true, servers.launcher);
  const count = sizes.length;
  /** How many receivers have each datagram. */
  const arrived = new Uint16Array(count);
  const sockets: dgram.Socket[] = [];
  const sender = dgram.createSocket({ type: 'udp4', sendBufferSize: BULK_SOCKET_BUFFER_BYTES });
  try {
    let low = 0; // every datagram below is complete or given up
    let next = 0;
    let delivered = 0;
    let lastProgress = performance.now();
    let lastArrival = 0;
    let finished: () => void = () => {};
    const complete = new Promise<void>((resolve) => (finished = resolve));
    const datagrams = sizes.map((size, index) => {
      const datagram = Buffer.alloc(size);
      datagram.writeUInt32BE(index, 0);
      return datagram;
    });
    const fill = (): void => {
      while (low < count && (arrived[low] as number) >= receiverCount) low++;
      while (next < count && next - low < NAIVE_WINDOW) sender.send(datagrams[next++] as Buffer, port, '127.0.0.1');
      if (low >= count) finished();
    };
    for (let i = 0; i < receiverCount; i++) {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: BULK_SOCKET_BUFFER_BYTES });
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      socket.on('message', (datagram) => {
        const index = datagram.readUInt32BE(0);
        if (index >= count) return;
        arrived[index] = (arrived[index] as number) + 1;
        delivered++;
        lastArrival = lastProgress = performance.now();
        if (index === low && (arrived[index] as number) >= receiverCount) fill();
      });
      socket.send('REG', port, '127.0.0.1');
      sockets.push(socket);
    }
    // The forwarder registers receivers as their REG arrives: wait until one probe datagram reaches them all.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stall = setInterval(() => {
      if (performance.now() - lastProgress < NAIVE_STALL_MS) return;
      low++; // lost on its way to some receiver: given up, and counted below
      lastProgress = performance.now();
      fill();
    }, NAIVE_STALL_MS / 5);
    const cpuBefore = servers.cpuTimeMs(child.pid);
    const start = performance.now();
    fill();
    await Promise.race([complete, new Promise((resolve) => setTimeout(resolve, BULK_LIMIT_MS).unref())]);
    clearInterval(stall);
    const elapsedMs = (lastArrival || performance.now()) - start;
    const deliveredShare = delivered / (count * receiverCount);
    return figures('naive dgram forwarder', receiverCount, sizes, elapsedMs, deliveredShare, servers.cpuTimeMs(child.pid) - cpuBefore);
  } finally {
    sender.close();
    for (const socket of sockets) socket.close();
    await stopServer(child);
  }
}

/** The sink of the loopback reference (a server process): counts datagrams, answers `COUNT` with the count. */
export function serveSink(): void {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: BULK_SOCKET_BUFFER_BYTES });
  let count = 0;
  socket.on('message', (datagram, remote) => {
    if (datagram.length === 5 && datagram.toString() === 'COUNT') socket.send(String(count), remote.port, remote.address);
    else count++;
  });
  socket.bind(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ event: 'listening', host: '127.0.0.1', port: socket.address().port })}\n`);
  });
  process.once('SIGTERM', () => socket.close(() => process.exit(0)));
}

/** Datagrams per second one Node process gets across loopback to another, and the MB/s that makes. */
export async function loopbackReference(servers: BulkServers): Promise<{ datagramsPerSecond: number; MBps: number }> {
  const { child, port } = await startServer(servers.sink, true, servers.launcher);
  const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: BULK_SOCKET_BUFFER_BYTES });
  try {
    const datagram = Buffer.alloc(LOOPBACK_DATAGRAM_BYTES);
    const start = performance.now();
    await new Promise<void>((resolve) => {
      const burst = (): void => {
        // Bursts of 64, yielding between them so the socket's callbacks and the kernel keep up.
        for (let i = 0; i < 64; i++) socket.send(datagram, port, '127.0.0.1');
        if (performance.now() - start < LOOPBACK_MS) setImmediate(burst);
        else resolve();
      };
      burst();
    });
    const elapsedMs = performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const counted = await new Promise<number>((resolve) => {
      socket.once('message', (reply) => resolve(Number(reply.toString())));
      socket.send('COUNT', port, '127.0.0.1');
    });
    const datagramsPerSecond = (counted * 1000) / elapsedMs;
    return { datagramsPerSecond, MBps: (datagramsPerSecond * LOOPBACK_DATAGRAM_BYTES) / 1e6 };
  } finally {
    socket.close();
    await stopServer(child);
  }
}

/** Prints the loopback reference, then both servers' egress for each receiver count, and the targets. */
export async function runBulk(servers: BulkServers, counts: readonly number[], imageBytes: number): Promise<void> {
  const loopback = await loopbackReference(servers);
  console.log(
    `loopback, one Node process to another: ${loopback.datagramsPerSecond.toFixed(0)} datagrams/s of 1,200 bytes one way (${loopback.MBps.toFixed(0)} MB/s): the physical reference`,
  );
  const header = ['receivers', 'variant', 'datagrams', 'MB each', 'time ms', 'egress MB/s', 'loss %', 'cpu %'];
  const widths = [9, 24, 10, 8, 9, 12, 8, 6];
  const row = (cells: string[]): string => cells.map((cell, index) => (index === 1 ? cell.padEnd(widths[index] as number) : cell.padStart(widths[index] as number))).join(' ');
  console.log(row(header));
  const targets: Array<[string, boolean]> = [];
  for (const count of counts) {
    const ours = await bulkThroughRelay(servers, count, imageBytes);
    const naive = await bulkThroughNaive(servers, count, ours.sizes);
    for (const result of [naive, ours.result] satisfies BulkResult[]) {
      console.log(
        row([
          String(result.receivers),
          result.name,
          String(result.datagrams),
          (result.datagramBytes / 1e6).toFixed(2),
          result.elapsedMs.toFixed(0),
          result.egressMBps.toFixed(1),
          result.lossPercent.toFixed(3),
          result.serverCpuPercent.toFixed(0),
        ]),
      );
    }
    const ratio = ours.result.egressMBps / naive.egressMBps;
    console.log(`${count} receivers: UDP Chat egress / naive egress ${ratio.toFixed(2)}`);
    targets.push([`${count} receivers: egress ≥ 0.7 × naive`, ratio >= 0.7], [`${count} receivers: UDP Chat loss 0 %`, ours.result.lossPercent === 0]);
  }
  for (const [target, met] of targets) console.log(`${met ? 'met    ' : 'NOT MET'}  ${target}`);
}
