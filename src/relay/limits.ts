/**
 * What a relay allows, and the budgets that keep any one source from costing it more than its share. The limits
 * a relay announces in its Welcome are clamped here to sane ranges, so a mistyped option (or a hostile embedder)
 * cannot tell clients to heartbeat every millisecond or to accept a 4 GB text.
 */
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_LEGACY_TIMEOUT_MS,
  DEFAULT_MAX_IMAGE_BYTES,
  DEFAULT_MAX_MEMBERS_PER_ROOM,
  DEFAULT_MAX_ROOMS,
  DEFAULT_MAX_TEXT_BYTES,
  DEFAULT_MEMBER_TIMEOUT_MS,
  MAX_ANNOUNCED_IMAGE_BYTES,
  MAX_ANNOUNCED_TEXT_BYTES,
  MAX_HEARTBEAT_INTERVAL_MS,
  MAX_MEMBER_TIMEOUT_MS,
  MIN_HEARTBEAT_INTERVAL_MS,
  MIN_MEMBER_TIMEOUT_MS,
} from '../protocol/constants';
import type { MembershipLimits } from './membership';

export interface RelayLimits extends MembershipLimits {
  maxTextBytes: number;
  maxImageBytes: number;
  heartbeatIntervalMs: number;
}

export const DEFAULT_RELAY_LIMITS: Readonly<RelayLimits> = Object.freeze({
  maxMembersPerRoom: DEFAULT_MAX_MEMBERS_PER_ROOM,
  maxRooms: DEFAULT_MAX_ROOMS,
  memberTimeoutMs: DEFAULT_MEMBER_TIMEOUT_MS,
  legacyTimeoutMs: DEFAULT_LEGACY_TIMEOUT_MS,
  maxTextBytes: DEFAULT_MAX_TEXT_BYTES,
  maxImageBytes: DEFAULT_MAX_IMAGE_BYTES,
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
});

/** The range each limit is clamped to: [least, most]. */
export const RELAY_LIMIT_RANGES: Readonly<Record<keyof RelayLimits, readonly [number, number]>> = Object.freeze({
  // Each member's queue and member list grow with the room; 1,024 is four times the default, a whole site.
  maxMembersPerRoom: [1, 1024],
  // A room costs a few hundred bytes of state; 65,536 rooms is far beyond any team.
  maxRooms: [1, 65_536],
  memberTimeoutMs: [MIN_MEMBER_TIMEOUT_MS, MAX_MEMBER_TIMEOUT_MS],
  // Legacy clients send no heartbeats; a day bounds how long a silent one keeps its name.
  legacyTimeoutMs: [50, 24 * 60 * 60_000],
  // The maxima are what clients accept: announcing more would promise what no client takes.
  maxTextBytes: [1, MAX_ANNOUNCED_TEXT_BYTES],
  maxImageBytes: [1, MAX_ANNOUNCED_IMAGE_BYTES],
  heartbeatIntervalMs: [MIN_HEARTBEAT_INTERVAL_MS, MAX_HEARTBEAT_INTERVAL_MS],
});

/**
 * A member must get at least this many heartbeat intervals of silence before eviction: with fewer, one lost
 * heartbeat evicts it.
 */
const MIN_HEARTBEATS_PER_TIMEOUT = 2;

function clampOne(key: keyof RelayLimits, value: number | undefined): number {
  const [least, most] = RELAY_LIMIT_RANGES[key];
  // Not a number (NaN, undefined from a partial object): the default, not an extreme.
  if (value === undefined || !Number.isFinite(value)) return DEFAULT_RELAY_LIMITS[key];
  return Math.min(most, Math.max(least, Math.floor(value)));
}

/** The defaults overridden by `limits`, each clamped to its range, with a timeout of at least two heartbeats. */
export function clampRelayLimits(limits: Partial<RelayLimits> = {}): RelayLimits {
  const clamped = {} as RelayLimits;
  for (const key of Object.keys(RELAY_LIMIT_RANGES) as Array<keyof RelayLimits>) clamped[key] = clampOne(key, limits[key]);
  const leastTimeout = Math.min(RELAY_LIMIT_RANGES.memberTimeoutMs[1], clamped.heartbeatIntervalMs * MIN_HEARTBEATS_PER_TIMEOUT);
  clamped.memberTimeoutMs = Math.max(clamped.memberTimeoutMs, leastTimeout);
  return clamped;
}

/** Error replies to one address per second (and burst): enough for a confused client, useless for reflection. */
export const ERROR_REPLIES_PER_SECOND = 4;
export const ERROR_REPLY_BURST = 8;
/** Distinct addresses (or prefixes) whose budget is remembered at once. */
export const MAX_TRACKED_ADDRESSES = 10_000;
/**
 * Bytes waiting per member before it is dropped as unable to keep up: three maximal images plus chat. The
 * channel's own default (64 MiB) is per peer, which across a full room would be gigabytes.
 */
export const MEMBER_QUEUE_BYTES = 32 * 1024 * 1024;
/** How long (ms) a half-forwarded message is remembered when its sender stops sending fragments. */
export const FORWARD_STALE_MS = 30_000;
/** Messages one member may have half-forwarded at once; more is not a chat, it is an attack on memory. */
export const MAX_INBOUND_PER_MEMBER = 64;
/**
 * A joined member must prove, with its first authenticated datagram, that it got the Welcome (so its address is
 * real) within this long (ms); until then it is not announced and nothing else is sent to it.
 */
export const VALIDATION_TIMEOUT_MS = 5000;
/** Members joined but not yet validated, at most: a flood of forged joins cannot fill the rooms. */
export const MAX_UNVALIDATED = 256;
/**
 * Datagrams per second (and burst) one source address may send before it has a session: joins and garbage. A
 * client needs a handful; a flood from one address is cut off here before it costs any decoding.
 */
export const UNAUTHENTICATED_PER_ADDRESS_RATE = 50;
export const UNAUTHENTICATED_PER_ADDRESS_BURST = 100;
/**
 * The same for all sources in one network prefix (/24 for IPv4, /64 for IPv6) together: ten sources' worth, so a
 * host that owns a whole prefix (every IPv6 subscriber does) gains nothing by rotating addresses in it, while a
 * classroom behind one /24 still joins at once.
 */
export const UNAUTHENTICATED_PER_PREFIX_RATE = 500;
export const UNAUTHENTICATED_PER_PREFIX_BURST = 1000;
/** All unauthenticated datagrams together, per second (and burst): bounds the work a spoofed flood can cause. */
export const UNAUTHENTICATED_TOTAL_RATE = 5000;
export const UNAUTHENTICATED_TOTAL_BURST = 10_000;
/**
 * Authenticated datagrams per second (and burst) per member: a 10 MB image in about a second, far above chat.
 * Beyond it datagrams are dropped unacknowledged, so the sender's reliability layer slows down and resends.
 */
export const MEMBER_DATAGRAM_RATE = 10_000;
export const MEMBER_DATAGRAM_BURST = 10_000;
/**
 * Legacy members from one IP address at most: a few classic clients on one shared machine. Legacy addresses are
 * never validated, so this also bounds how many spoofed legacy joins one victim address can be made to hold.
 */
export const MAX_LEGACY_PER_ADDRESS = 8;
/** How long (ms) past a member's departure its channel may still flush what it owes (e.g. the ack of its Leave). */
export const LEAVE_FLUSH_MS = 60_000;
