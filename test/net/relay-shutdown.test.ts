import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { performance } from 'node:perf_hooks';
import { verifyDatagram } from '../../src/protocol/hop-auth';
import { ErrorCode } from '../../src/protocol/types';
import { RelayHost } from '../../src/extension/relay-host';
import { SocketPeer } from '../support/relay-peer';

const ROOT = path.resolve(__dirname, '../..');
/** The promise: members learn of a shutdown within a second, not through seconds of silence. */
const TOLD_WITHIN_MS = 1000;

/** `udp-chat relay` from the sources (no build needed), its JSON event lines collected. */
class RelayCommand {
  readonly events: Array<Record<string, unknown>> = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiters = new Set<() => void>();

  constructor() {
    // A temporary config directory: the relay's identity file never lands in the user's home.
    const config = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-relay-config-'));
    const identity = path.join(config, 'relay-identity.key');
    // Its history in the same temporary directory: relays started side by side never share a store.
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'relay', '--host', '127.0.0.1', '--port', '0', '--json', '--identity-file', identity, '--data', path.join(config, 'data')];
    this.#child = spawn(process.execPath, args, { cwd: ROOT });
    readline.createInterface({ input: this.#child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      this.events.push(JSON.parse(line) as Record<string, unknown>);
      for (const waiter of [...this.#waiters]) waiter();
    });
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code) => {
        fs.rmSync(config, { recursive: true, force: true });
        resolve(code);
      }),
    );
  }

  event(name: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${name}" event: ${JSON.stringify(this.events)}`)), timeoutMs);
      const check = (): void => {
        const found = this.events.find((event) => event.event === name);
        if (!found) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(found);
      };
      this.#waiters.add(check);
      check();
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }
}

function toldToLeave(peer: SocketPeer): boolean {
  return peer.peer.errors.some((error) => error.code === ErrorCode.ShuttingDown && error.authentic);
}

describe('relay shutdown reaches every member', function () {
  const opened: Array<{ close(): unknown }> = [];
  let command: RelayCommand | undefined;

  afterEach(async () => {
    command?.kill();
    command = undefined;
    await Promise.all(opened.splice(0).map((item) => item.close()));
  });

  async function member(name: string, port: number): Promise<SocketPeer> {
    const peer = await SocketPeer.open(name, port, () => performance.now());
    opened.push(peer);
    await peer.join();
    return peer;
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`tells each member, signed, within a second of ${signal} to udp-chat relay, which then exits 0`, async () => {
      command = new RelayCommand();
      const listening = await command.event('listening');
      const port = listening.port as number;
      const members = [await member('ann', port), await member('bob', port)];
      const sentAt = performance.now();
      command.signal(signal);
      await Promise.all(members.map((peer) => peer.until(() => toldToLeave(peer), `${peer.peer.name} is told`, TOLD_WITHIN_MS)));
      assert.ok(performance.now() - sentAt < TOLD_WITHIN_MS);
      for (const peer of members) {
        const goodbye = peer.datagrams.at(-1);
        assert.ok(goodbye && peer.peer.keys && verifyDatagram(goodbye, peer.peer.keys.downstream));
      }
      assert.equal((await command.event('closed')).signal, signal);
      assert.equal(await command.exited, 0);
    });
  }

  it('tells each member, signed, when the extension stops its hosted relay (Stop Relay)', async () => {
    const host = new RelayHost(() => {});
    opened.push({ close: () => host.stop() });
    const hosted = await host.start({ host: '127.0.0.1', port: 0, acceptLegacy: false });
    const members = [await member('ann', hosted.port), await member('bob', hosted.port)];
    const stopped = host.stop();
    await Promise.all(members.map((peer) => peer.until(() => toldToLeave(peer), `${peer.peer.name} is told`, TOLD_WITHIN_MS)));
    await stopped;
    assert.equal(host.current, undefined);
  });
});
