// The `udp-chat` command line (dist/cli.js) for the UI tests: a relay and terminal peers, as child processes in
// their own process groups, which the harness stops on exit or a signal should a test not get to it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { killProcessGroup, trackProcessGroup } from '../harness/code-server.mjs';
import { REPO_ROOT } from '../harness/toolchain.mjs';

export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** One config folder for every relay and peer of the run: never the user's relay identity or known relays. */
const CONFIG_HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-ui-config-'));

class CliProcess {
  /** @param {string} name @param {string[]} args @param {string} [cwd] where it runs (a peer's `/snippet PATH` is read from there) */
  constructor(name, args, cwd) {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    this.name = name;
    /** @type {Array<{event: string} & Record<string, unknown>>} */
    this.events = [];
    this.stderr = [];
    this.child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, cwd, env: { ...process.env, XDG_CONFIG_HOME: CONFIG_HOME } });
    this.child.stdin.on('error', () => {});
    trackProcessGroup(this.child.pid, `udp-chat ${name}`);
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        this.events.push(JSON.parse(line));
      } catch {
        /* not an event line */
      }
    });
    readline.createInterface({ input: this.child.stderr }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? signal)));
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first event (seen before or yet to come) that `accept` takes. */
  async waitFor(accept, what, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(accept);
      if (found) return found;
      if (!this.running || Date.now() > deadline) {
        const why = this.running ? `timed out after ${timeoutMs} ms` : `${this.name} exited (${this.child.exitCode ?? this.child.signalCode})`;
        throw new Error(`${why} waiting for ${what}; events: ${JSON.stringify(this.events).slice(-800)}; stderr: ${this.stderr.join(' | ').slice(-300)}`);
      }
      await sleep(50);
    }
  }

  /** Types a line into the process (a peer sends it as a message; `/image PATH` sends an image). */
  type(line) {
    this.child.stdin.write(`${line}\n`);
  }

  /** Ends input (a peer leaves, a relay ignores it), then SIGTERM to the group; SIGKILL after a grace period. */
  async stop() {
    if (this.running) {
      this.child.stdin.end();
      await Promise.race([this.exited, sleep(1_500)]);
    }
    await killProcessGroup(this.child.pid, { graceMs: 2_000 });
  }
}

/** `udp-chat relay --json` on 127.0.0.1 and a free port; resolves once it listens. */
export async function startRelay() {
  // Its own history folder: never the user's, and nothing left by an earlier run (or a relay still stopping).
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-ui-relay-'));
  const relay = new CliProcess('relay', ['relay', '--host', '127.0.0.1', '--port', '0', '--json', '--data', data]);
  const listening = await relay.waitFor((event) => event.event === 'listening', 'the relay to listen').catch(async (error) => {
    await relay.stop();
    throw error;
  });
  relay.port = listening.port;
  relay.address = `127.0.0.1:${listening.port}`;
  return relay;
}

/** `udp-chat join --json`: a terminal member of a room (running in `cwd` when given); resolves once it has joined. */
export async function joinPeer({ relay, name, room, cwd }) {
  const args = ['join', '--relay', relay, '--name', name, '--json', '--save-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-ui-'))];
  if (room) args.push('--room', room);
  const peer = new CliProcess(name, args, cwd);
  await peer.waitFor((event) => event.event === 'ready', `${name} to join ${relay}`).catch(async (error) => {
    await peer.stop();
    throw error;
  });
  return peer;
}
