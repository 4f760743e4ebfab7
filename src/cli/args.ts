/** Command-line argument checks shared by the commands. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseHostPort as parseAddress, parsePort as parsePortNumber } from '../protocol/address';

export class UsageError extends Error {}

export function parsePort(text: string, what: string): number {
  const port = parsePortNumber(text);
  if (port === undefined) throw new UsageError(`${what} must be a port number from 0 to 65535, not "${text}"`);
  return port;
}

/** A whole number from `min` to a million (every count here is far below it). */
export function parseCount(text: string, what: string, min: number): number {
  const value = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < min || value > 1_000_000) throw new UsageError(`${what} must be a whole number from ${min} to 1000000, not "${text}"`);
  return value;
}

/** `host:port`, `[v6]:port`; the port is required. */
export function parseHostPort(text: string): { host: string; port: number } {
  const parsed = parseAddress(text);
  if (!parsed.ok) throw new UsageError(`--relay must be HOST:PORT (e.g. 127.0.0.1:12345): ${parsed.reason}`);
  return { host: parsed.host, port: parsed.port };
}

/** Environment variable that may hold the room passphrase (a file is safer: environments leak into `ps`). */
export const PASSPHRASE_ENV = 'UDPCHAT_PASSPHRASE';

/**
 * The room passphrase: the first line of `file` when given, else $UDPCHAT_PASSPHRASE, else undefined (an open
 * room). Never from the command line itself, where every user of the machine could read it.
 */
export async function readPassphrase(file: string | undefined): Promise<string | undefined> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read the passphrase file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const passphrase = text.split(/\r?\n/)[0] ?? '';
    if (passphrase.length === 0) throw new UsageError(`the passphrase file ${file} is empty`);
    return passphrase;
  }
  const fromEnvironment = process.env[PASSPHRASE_ENV];
  return fromEnvironment ? fromEnvironment : undefined;
}

/** Where the commands keep their files: $XDG_CONFIG_HOME/udp-chat, else ~/.config/udp-chat. */
export function configDir(): string {
  const xdg = process.env['XDG_CONFIG_HOME'];
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config'), 'udp-chat');
}

/** `udp-chat relay --identity-file`'s default. */
export function defaultIdentityFile(): string {
  return path.join(configDir(), 'relay-identity.key');
}

/** `udp-chat join --known-relays`'s default. */
export function defaultKnownRelaysFile(): string {
  return path.join(configDir(), 'known-relays.json');
}

/** `udp-chat join --replay-marks`'s default. */
export function defaultReplayMarksDir(): string {
  return path.join(configDir(), 'replay');
}
