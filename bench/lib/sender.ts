/**
 * The bench's sender, in a process of its own: it paces texts to a server and reports when it sent each one.
 * Apart from the receivers, so that neither waits for the other's event loop: a sealed text costs its sender a
 * seal and an Ed25519 signature, and a hundred receivers in the same loop would delay the acks the sender's
 * window waits for. Both processes stamp times with `benchNow()`, one machine-wide monotonic clock.
 *
 * The parent forks it with `--serve sender`, sends a SenderConfig, waits for `ready`, sends `go`; the sender then
 * reports `window-start` and `window-end` (the measured part begins after the warm-up) and `done` with its sends.
 */
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { ChatClient, ChatClientError } from '../../src/client/client';

/** Milliseconds on CLOCK_MONOTONIC: the same clock in every process of this machine (performance.now() is not). */
export function benchNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface SenderConfig {
  /** `naive`: raw datagrams whose first 8 bytes are the id; `chat`: texts through a real ChatClient. */
  variant: 'naive' | 'chat';
  port: number;
  rate: number;
  warmupMs: number;
  seconds: number;
  textBytes: number;
  /** The room's passphrase when it is sealed. */
  passphrase: string | undefined;
}

export interface SenderReport {
  windowStart: number;
  windowEnd: number;
  /** Message ids (hex) and when each was sent (benchNow ms). */
  sent: Array<[id: string, at: number]>;
  /** When the client refused a message (its outbox full: the relay is not keeping up). */
  refusedAt: number[];
}

export type SenderMessage =
  | { kind: 'ready' }
  | { kind: 'window-start' }
  | { kind: 'window-end' }
  | { kind: 'done'; report: SenderReport };

/** Sends `send()` at `rate` per second from now until `until`, catching up after late timer ticks. */
export function pace(rate: number, until: number, send: () => void): Promise<void> {
  return new Promise((resolve) => {
    const start = benchNow();
    let count = 0;
    const timer = setInterval(() => {
      const now = benchNow();
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

/** Resolves with the child's next message of `kind`; rejects if it exits first. */
export function nextMessage<K extends SenderMessage['kind']>(child: ChildProcess, kind: K): Promise<Extract<SenderMessage, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const childOnMessage = (message: SenderMessage): void => {
      if (message.kind !== kind) return;
      child.off('message', childOnMessage);
      child.off('exit', childOnExit);
      resolve(message as Extract<SenderMessage, { kind: K }>);
    };
    const childOnExit = (code: number | null): void => {
      child.off('message', childOnMessage);
      reject(new Error(`the sender exited with ${code} before '${kind}'`));
    };
    child.on('message', childOnMessage);
    child.once('exit', childOnExit);
  });
}

function tell(message: SenderMessage): void {
  process.send?.(message);
}

/** The sender's side: runs as the child, driven by the parent over IPC. */
export function serveSender(): void {
  process.once('message', (config: SenderConfig) => {
    runSender(config).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}

async function runSender(config: SenderConfig): Promise<void> {
  const report: SenderReport = { windowStart: 0, windowEnd: 0, sent: [], refusedAt: [] };
  const { send, close } = config.variant === 'naive' ? await naiveSender(config, report) : await chatSender(config, report);
  tell({ kind: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const start = benchNow();
  report.windowStart = start + config.warmupMs;
  report.windowEnd = report.windowStart + config.seconds * 1000;
  const windowTimer = setTimeout(() => tell({ kind: 'window-start' }), config.warmupMs);
  await pace(config.rate, report.windowEnd, send);
  clearTimeout(windowTimer);
  tell({ kind: 'window-end' });
  // The client keeps retransmitting until the parent has drained and stops this process.
  tell({ kind: 'done', report });
  process.once('SIGTERM', () => {
    close();
    process.exit(0);
  });
}

interface Sending {
  send: () => void;
  close: () => void;
}

async function naiveSender(config: SenderConfig, report: SenderReport): Promise<Sending> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let next = 1n;
  return {
    send: () => {
      const id = next++;
      // A fresh buffer each time: dgram reads it only when the send happens, after this function returns.
      const payload = Buffer.alloc(config.textBytes, 'x');
      payload.writeBigUInt64BE(id, 0);
      report.sent.push([id.toString(16), benchNow()]);
      socket.send(payload, config.port, '127.0.0.1');
    },
    close: () => socket.close(),
  };
}

async function chatSender(config: SenderConfig, report: SenderReport): Promise<Sending> {
  const client = new ChatClient({ relayHost: '127.0.0.1', relayPort: config.port, name: 'sender', room: 'bench', passphrase: config.passphrase });
  await client.connect();
  const text = 'x'.repeat(config.textBytes);
  return {
    send: () => {
      let id: string;
      try {
        id = client.sendText(text);
      } catch (error) {
        if (!(error instanceof ChatClientError) || error.code !== 'outbox-full') throw error;
        report.refusedAt.push(benchNow());
        return;
      }
      report.sent.push([id, benchNow()]);
    },
    close: () => client.close(),
  };
}
