/** Command-line argument checks shared by the commands. */
import { parseHostPort as parseAddress, parsePort as parsePortNumber } from '../protocol/address';

export class UsageError extends Error {}

export function parsePort(text: string, what: string): number {
  const port = parsePortNumber(text);
  if (port === undefined) throw new UsageError(`${what} must be a port number from 0 to 65535, not "${text}"`);
  return port;
}

/** `host:port`, `[v6]:port`; the port is required. */
export function parseHostPort(text: string): { host: string; port: number } {
  const parsed = parseAddress(text);
  if (!parsed.ok) throw new UsageError(`--relay must be HOST:PORT (e.g. 127.0.0.1:12345): ${parsed.reason}`);
  return { host: parsed.host, port: parsed.port };
}
