/** Server processes for the benchmarks: started, waited for until they listen, and stopped. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

/** The built `udp-chat` command, next to the benchmark bundles (dist/bench/*.js → dist/cli.js). */
export const CLI_PATH = path.join(__dirname, '..', 'cli.js');

/** The real relay, as users run it. */
export const RELAY_COMMAND = [CLI_PATH, 'relay', '--host', '127.0.0.1', '--port', '0', '--json'];

/**
 * The relay's command with its history on, kept in a fresh temporary folder that `remove` deletes (after the relay
 * has stopped), so a bench never writes into the user's own relay history; with `history` false, --no-history.
 */
export function relayWithHistory(history = true): { command: string[]; remove: () => void } {
  if (!history) return { command: [...RELAY_COMMAND, '--no-history'], remove: () => {} };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-bench-relay-'));
  return { command: [...RELAY_COMMAND, '--data', dataDir], remove: () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

/** A running relay from relayWithHistory; `remove` deletes its history folder once it has stopped. */
export interface StartedRelay {
  child: ChildProcess;
  port: number;
  remove: () => void;
}

/**
 * Starts the real relay (relayWithHistory's command) as startServer does; its history folder is removed at once
 * when it fails to start, and by the caller's `remove` after stopServer otherwise.
 */
export async function startRelay(history = true, showErrors = true, launcher: string[] = []): Promise<StartedRelay> {
  const relay = relayWithHistory(history);
  try {
    return { ...(await startServer(relay.command, showErrors, launcher)), remove: relay.remove };
  } catch (error) {
    relay.remove();
    throw error;
  }
}

/**
 * Starts `node ...command` and resolves once it prints `{"event":"listening","port":N}` (as `udp-chat relay
 * --json` does). Its standard error goes to ours when `showErrors`. It runs with this process's Node flags, so
 * `node --cpu-prof dist/bench/relay.js` profiles the servers too. `launcher` goes before node (serverLauncher of
 * bench/lib/cores.ts; it must exec node, so that the child's pid is node's).
 */
export async function startServer(command: string[], showErrors = true, launcher: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const [file, ...args] = [...launcher, process.execPath, ...process.execArgv, ...command];
  const child = spawn(file as string, args, { stdio: ['ignore', 'pipe', showErrors ? 'inherit' : 'ignore'] });
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; port?: number };
        if (event.event === 'listening' && typeof event.port === 'number') resolve(event.port);
      } catch {
        // not an event line
      }
    });
    child.once('exit', (code) => reject(new Error(`${path.basename(command[0] ?? 'server')} exited with ${code} before listening`)));
  });
  return { child, port };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}
