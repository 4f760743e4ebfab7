/**
 * What the client accepts from a relay's Welcome: every limit a relay announces is clamped to a sane range, so a
 * buggy or hostile relay can neither make the client buffer without bound nor flood it with heartbeats.
 */
import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_TEXT_BYTES, DEFAULT_MEMBER_TIMEOUT_MS } from '../protocol/constants';
import type { WelcomeBody } from '../protocol/types';

/**
 * The relay's own minimum (ms): a relay configured at it still keeps us in. At most 100 heartbeats a second (400
 * while probing a silent relay), so a relay cannot make the client flood it.
 */
export const MIN_HEARTBEAT_INTERVAL_MS = 10;
/** Above this (ms) a relay that went away would go unnoticed for minutes (three intervals of silence). */
export const MAX_HEARTBEAT_INTERVAL_MS = 30_000;
/** The relay's own minimum (ms): two of our shortest heartbeat intervals and more. */
export const MIN_MEMBER_TIMEOUT_MS = 50;
/** Ten minutes (ms): the relay's legacy timeout, the longest silence any relay has reason to allow. */
export const MAX_MEMBER_TIMEOUT_MS = 10 * 60_000;
/** A relay that allows less than this (bytes) would refuse ordinary lines; texts are refused by the relay then. */
export const MIN_TEXT_BYTES = 256;
/** Four times the default (16 KiB): a long paste; more only lets a relay make us buffer large texts. */
export const MAX_TEXT_BYTES = 64 * 1024;
/** A compressed 640×480 JPEG is 20–200 KB: below this (bytes) a relay could refuse every image. */
export const MIN_IMAGE_BYTES = 64 * 1024;
/** 1.6 times the default (10 MB): the outbox and the reassembly buffers are sized from this (bytes). */
export const MAX_IMAGE_BYTES = 16 * 1024 * 1024;

export interface RelayLimits {
  heartbeatIntervalMs: number;
  memberTimeoutMs: number;
  maxTextBytes: number;
  maxImageBytes: number;
}

/** Until a relay has spoken, the protocol's defaults. */
export const DEFAULT_RELAY_LIMITS: Readonly<RelayLimits> = Object.freeze({
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
  memberTimeoutMs: DEFAULT_MEMBER_TIMEOUT_MS,
  maxTextBytes: DEFAULT_MAX_TEXT_BYTES,
  maxImageBytes: DEFAULT_MAX_IMAGE_BYTES,
});

/** The Welcome's limits, each clamped to its range (a value that is not a finite number gets the default). */
export function clampRelayLimits(welcome: Pick<WelcomeBody, keyof RelayLimits>): RelayLimits {
  const memberTimeoutMs = clamp(welcome.memberTimeoutMs, MIN_MEMBER_TIMEOUT_MS, MAX_MEMBER_TIMEOUT_MS, DEFAULT_MEMBER_TIMEOUT_MS);
  const heartbeatIntervalMs = clamp(welcome.heartbeatIntervalMs, MIN_HEARTBEAT_INTERVAL_MS, MAX_HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_INTERVAL_MS);
  return {
    // Two heartbeats per member timeout at least, whatever the relay says: one lost heartbeat must not evict us.
    heartbeatIntervalMs: Math.max(MIN_HEARTBEAT_INTERVAL_MS, Math.min(heartbeatIntervalMs, Math.floor(memberTimeoutMs / 2))),
    memberTimeoutMs,
    maxTextBytes: clamp(welcome.maxTextBytes, MIN_TEXT_BYTES, MAX_TEXT_BYTES, DEFAULT_MAX_TEXT_BYTES),
    maxImageBytes: clamp(welcome.maxImageBytes, MIN_IMAGE_BYTES, MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGE_BYTES),
  };
}

function clamp(value: number, min: number, max: number, fallback: number): number {
  if (!Number.isFinite(value)) return fallback;
  return Math.min(Math.max(Math.floor(value), min), max);
}
