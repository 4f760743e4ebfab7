/**
 * Helpers for the integration tests, which run inside the real extension host (code-server's): the extension under
 * test, `udp-chat join` peers as child processes, free ports, waiting, and a record of what the host held before
 * the extension was activated (for the deactivation test).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { UdpChatApi } from '../../../src/extension/extension';

export const EXTENSION_ID = 'udp-chat.udp-chat';

export function extension(): vscode.Extension<UdpChatApi> {
  const found = vscode.extensions.getExtension<UdpChatApi>(EXTENSION_ID);
  if (!found) throw new Error(`extension ${EXTENSION_ID} is not installed in this extension host`);
  return found;
}

/** Activates the extension (through one of its commands, as a user would) and returns its API. */
export async function api(): Promise<UdpChatApi> {
  const ext = extension();
  if (!ext.isActive) await vscode.commands.executeCommand('udpChat.showLog');
  if (!ext.isActive) throw new Error('running udpChat.showLog did not activate the extension');
  return ext.exports;
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the test workbench has no workspace folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

// ---- what the host held before activation ---------------------------------------------------------------------

interface Baseline {
  /** process.getActiveResourcesInfo() before the extension was activated. */
  resources: string[];
  /** Every worker thread the main thread of this host started since the test files were loaded. */
  workers: Array<{ worker: Worker; exited: boolean }>;
}

const BASELINE_KEY = Symbol.for('udpChat.e2e.baseline');

/**
 * Records the host's active resources and starts watching worker threads, once per extension host: every test
 * bundle calls it when it is loaded, which mocha does for all files before the first test runs (and so before the
 * extension is activated: it activates only on its commands).
 */
export function baseline(): Baseline {
  const store = globalThis as unknown as Record<symbol, Baseline | undefined>;
  let recorded = store[BASELINE_KEY];
  if (!recorded) {
    const workers: Baseline['workers'] = [];
    process.on('worker', (worker: Worker) => {
      const record = { worker, exited: false };
      workers.push(record);
      worker.once('exit', () => (record.exited = true));
    });
    recorded = { resources: process.getActiveResourcesInfo(), workers };
    store[BASELINE_KEY] = recorded;
  }
  return recorded;
}

export function countOf(resources: readonly string[], type: string): number {
  return resources.filter((resource) => resource === type).length;
}

// ---- ports, files, waiting ------------------------------------------------------------------------------------

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `udpchat-e2e-${prefix}-`));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; fails with `what` (and what `describe` says about the state) on timeout. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000, describe?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${describe ? `: ${describe()}` : ''}`);
    await sleep(25);
  }
}

/** Sets a `udpChat.*` setting in the user settings and waits until the extension host reads the new value. */
export async function setSetting(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration();
  await config.update(key, value, vscode.ConfigurationTarget.Global);
  await until(
    () => JSON.stringify(vscode.workspace.getConfiguration().get(key)) === JSON.stringify(value ?? vscode.workspace.getConfiguration().inspect(key)?.defaultValue),
    `setting ${key} reads ${JSON.stringify(value)}`,
    5_000,
  );
}

// ---- `udp-chat join` peers ------------------------------------------------------------------------------------

export type CliEvent = { event: string } & Record<string, unknown>;

/** The built command line client (the extension's own dist/cli.js), as a terminal user of the room. */
export class CliPeer {
  readonly events: CliEvent[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  readonly name: string;
  readonly #child: ChildProcessWithoutNullStreams;

  private constructor(name: string, args: string[]) {
    this.name = name;
    const cli = path.join(extension().extensionPath, 'dist', 'cli.js');
    if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
    // Its own config folder: never the user's known relays, and no pin left by an earlier relay on a reused port.
    // Its own state folder too: a relay's history is never the user's, nor an earlier run's.
    const config = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-peer-config-'));
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-peer-state-'));
    this.#child = spawn(process.execPath, [cli, ...args], {
      stdio: 'pipe',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', XDG_CONFIG_HOME: config, XDG_STATE_HOME: state },
    });
    readline.createInterface({ input: this.#child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        this.events.push(JSON.parse(line) as CliEvent);
      } catch {
        /* not an event line */
      }
    });
    readline.createInterface({ input: this.#child.stderr }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code) => {
        fs.rmSync(config, { recursive: true, force: true });
        resolve(code);
      }),
    );
    peers.add(this);
  }

  /** `udp-chat join --json` as `name`; resolves once it has joined (its `ready` event). */
  static async join(options: { relay: string; name: string; room?: string }): Promise<CliPeer> {
    const args = ['join', '--relay', options.relay, '--name', options.name, '--json', '--save-dir', tempDir('peer')];
    if (options.room) args.push('--room', options.room);
    const peer = new CliPeer(options.name, args);
    await peer.waitFor((event) => event.event === 'ready', `${options.name} to join ${options.relay}`);
    return peer;
  }

  /** Types a line into the peer (a message, or a command such as `/image PATH`). */
  type(line: string): void {
    this.#child.stdin.write(`${line}\n`);
  }

  /** Resolves with the first event (already seen or yet to come) that `accept` takes. */
  async waitFor(accept: (event: CliEvent) => boolean, what: string, timeoutMs = 15_000): Promise<CliEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(accept);
      if (found) return found;
      if (this.#child.exitCode !== null || Date.now() > deadline) {
        const why = this.#child.exitCode !== null ? `${this.name} exited with ${this.#child.exitCode}` : `timed out after ${timeoutMs} ms`;
        throw new Error(`${why} waiting for ${what}; events: ${JSON.stringify(this.events).slice(-1500)}; stderr: ${this.stderr.join(' | ').slice(-500)}`);
      }
      await sleep(25);
    }
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Leaves (end of input: the peer says goodbye to the relay), or is killed after graceMs; waits for the exit. */
  async stop(graceMs = 2_000): Promise<void> {
    peers.delete(this);
    if (!this.running) return;
    this.#child.stdin.end();
    const exited = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!exited && this.running) {
      this.#child.kill('SIGKILL');
      await this.exited;
    }
  }
}

const peers = new Set<CliPeer>();

/** Stops every peer still running (afterEach). */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...peers].map((peer) => peer.stop()));
}
