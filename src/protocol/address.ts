/** Relay addresses as people type them: `host:port` or `[ipv6]:port`. Pure. */

export type ParsedAddress = { ok: true; host: string; port: number } | { ok: false; reason: string };

export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65_535 ? port : undefined;
}

/** Parses `host:port` or `[v6]:port`; the port is required. */
export function parseHostPort(text: string): ParsedAddress {
  const trimmed = text.trim();
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(trimmed) ?? /^([^:\s]+):(\d+)$/.exec(trimmed);
  if (!match) return { ok: false, reason: `a relay address is HOST:PORT (e.g. 127.0.0.1:12345), not "${trimmed}"` };
  const port = parsePort(match[2] as string);
  if (port === undefined || port === 0) return { ok: false, reason: `the port must be a number from 1 to 65535, not "${match[2]}"` };
  return { ok: true, host: match[1] as string, port };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
