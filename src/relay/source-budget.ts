/**
 * The budgets of traffic that no session vouches for, keyed by where it claims to come from: the source IP (not
 * the port, which a sender picks freely), its network prefix (/24 for IPv4, /64 for IPv6: what one subscriber or
 * one site usually holds), and all such traffic together. The narrow budgets are charged first and the global one
 * only for what passed them, so one loud source empties its own buckets, never everyone's. Pure: time is an argument.
 */
import { isIPv4, isIPv6 } from 'node:net';
import {
  MAX_TRACKED_ADDRESSES,
  UNAUTHENTICATED_PER_ADDRESS_BURST,
  UNAUTHENTICATED_PER_ADDRESS_RATE,
  UNAUTHENTICATED_PER_PREFIX_BURST,
  UNAUTHENTICATED_PER_PREFIX_RATE,
  UNAUTHENTICATED_TOTAL_BURST,
  UNAUTHENTICATED_TOTAL_RATE,
} from './limits';
import { KeyedRateLimiter, TokenBucket } from './rate-limit';

/** What a source is budgeted as: its address, and the prefix it shares with its neighbours. */
export interface SourceKeys {
  address: string;
  prefix: string;
}

/** The eight 16-bit groups of an IPv6 address (an embedded dotted IPv4 tail included), or undefined. */
function ipv6Groups(host: string): number[] | undefined {
  let text = host.replace(/%.*$/, '').toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted !== undefined) {
    if (!isIPv4(dotted)) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    text = `${text.slice(0, text.length - dotted.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] => (part ? part.split(':').map((group) => (/^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : NaN)) : []);
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.every((group) => Number.isInteger(group)) ? groups : undefined;
}

/**
 * The keys of a source host. IPv4 (and IPv4-mapped IPv6, `::ffff:a.b.c.d`, which is the same sender) is keyed by
 * its address and its /24; IPv6 by its canonical address and its /64. Anything else is its own address and prefix.
 */
export function sourceKeys(host: string): SourceKeys {
  if (isIPv4(host)) return { address: host, prefix: `${host.slice(0, host.lastIndexOf('.'))}.0/24` };
  const groups = isIPv6(host) ? ipv6Groups(host) : undefined;
  if (!groups) return { address: host, prefix: host };
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (mapped) {
    const [high = 0, low = 0] = groups.slice(6);
    return sourceKeys(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`);
  }
  const hex = groups.map((group) => group.toString(16));
  return { address: hex.join(':'), prefix: `${hex.slice(0, 4).join(':')}::/64` };
}

/** Unauthenticated datagrams: per source address, per source prefix, then all together. */
export class UnauthenticatedBudget {
  readonly #perAddress = new KeyedRateLimiter(UNAUTHENTICATED_PER_ADDRESS_RATE, UNAUTHENTICATED_PER_ADDRESS_BURST, MAX_TRACKED_ADDRESSES);
  readonly #perPrefix = new KeyedRateLimiter(UNAUTHENTICATED_PER_PREFIX_RATE, UNAUTHENTICATED_PER_PREFIX_BURST, MAX_TRACKED_ADDRESSES);
  readonly #total: TokenBucket;

  constructor(now: number) {
    this.#total = new TokenBucket(UNAUTHENTICATED_TOTAL_RATE, UNAUTHENTICATED_TOTAL_BURST, now);
  }

  /** True (and charged) when a datagram from `host` fits every budget; what one budget refuses costs the wider ones nothing. */
  allow(host: string, now: number): boolean {
    const keys = sourceKeys(host);
    return this.#perAddress.allow(keys.address, now) && this.#perPrefix.allow(keys.prefix, now) && this.#total.take(now);
  }
}
