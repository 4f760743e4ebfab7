/** Command-line argument checks shared by the commands. */

export class UsageError extends Error {}

export function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new UsageError(`${what} must be a port number from 0 to 65535, not "${text}"`);
  return port;
}

/** `host:port`, `[v6]:port`; the port is required. */
export function parseHostPort(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) throw new UsageError(`--relay must be HOST:PORT (e.g. 127.0.0.1:12345), not "${text}"`);
  return { host: match[1] as string, port: parsePort(match[2] as string, '--relay port') };
}
