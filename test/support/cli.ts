/** Runs the built `udp-chat` command (dist/cli.js) as a child process and reads its JSON event lines. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export const CLI = path.resolve(__dirname, '../../dist/cli.js');

export type CliEvent = { event: string } & Record<string, unknown>;

export class CliProcess {
  readonly events: CliEvent[] = [];
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcessWithoutNullStreams;

  /**
   * The process's home and config directories are a temporary one of its own (removed when it exits): a test
   * never reads or writes the user's relay identity or known relays.
   */
  constructor(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-home-'));
    const env = {
      ...process.env,
      HOME: home,
      USERPROFILE: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_STATE_HOME: path.join(home, '.local', 'state'),
      ...options.env,
    };
    this.#child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env });
    readline.createInterface({ input: this.#child.stdout }).on('line', (line) => {
      this.lines.push(line);
      if (line.startsWith('{')) {
        try {
          this.events.push(JSON.parse(line) as CliEvent);
        } catch {
          // not an event line; kept in `lines`
        }
      }
    });
    readline.createInterface({ input: this.#child.stderr }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code) => {
        fs.rmSync(home, { recursive: true, force: true });
        resolve(code);
      }),
    );
  }

  /** Writes a line to the command's standard input. */
  type(line: string): void {
    this.#child.stdin.write(`${line}\n`);
  }

  endInput(): void {
    this.#child.stdin.end();
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** Resolves with the first event matching `accept` (already seen or yet to come). */
  async waitForEvent(accept: (event: CliEvent) => boolean, what: string, timeoutMs = 10_000): Promise<CliEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(accept);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr.join(' | ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async waitForLine(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => pattern.test(line));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for a line like ${pattern}; lines: ${JSON.stringify(this.lines)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops the process if it is still running (for cleanup). */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/**
 * For a describe block: each test gets a fresh working folder (`dir`, the processes' cwd), and every process
 * started with `cli(args)` is stopped, and the folder removed, after the test.
 */
export function cliWorkspace(prefix: string): { readonly dir: string; cli: (args: string[]) => CliProcess } {
  const running: CliProcess[] = [];
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((child) => child.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    cli(args) {
      const child = new CliProcess(args, { cwd: dir });
      running.push(child);
      return child;
    },
  };
}
