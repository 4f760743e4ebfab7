/**
 * What the client accepts from a relay's Welcome: every limit a relay announces is clamped to a sane range, so a
 * buggy or hostile relay can neither make the client buffer without bound nor flood it with heartbeats.
 */
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_IMAGE_BYTES,
  DEFAULT_MAX_TEXT_BYTES,
  DEFAULT_MEMBER_TIMEOUT_MS,
  MAX_ANNOUNCED_IMAGE_BYTES as MAX_IMAGE_BYTES,
  MAX_ANNOUNCED_TEXT_BYTES as MAX_TEXT_BYTES,
  MAX_HEARTBEAT_INTERVAL_MS,
  MAX_MEMBER_TIMEOUT_MS,
  MIN_HEARTBEAT_INTERVAL_MS,
  MIN_MEMBER_TIMEOUT_MS,
} from '../protocol/constants';

import type { WelcomeBody } from '../protocol/types';

export { MAX_HEARTBEAT_INTERVAL_MS, MAX_IMAGE_BYTES, MAX_MEMBER_TIMEOUT_MS, MAX_TEXT_BYTES, MIN_HEARTBEAT_INTERVAL_MS, MIN_MEMBER_TIMEOUT_MS };

/** A relay that allows less than this (bytes) would refuse ordinary lines; texts are refused by the relay then. */
export const MIN_TEXT_BYTES = 256;
/** A compressed 640×480 JPEG is 20–200 KB: below this (bytes) a relay could refuse every image. */
export const MIN_IMAGE_BYTES = 64 * 1024;

export interface AnnouncedLimits {
  heartbeatIntervalMs: number;
  memberTimeoutMs: number;
  maxTextBytes: number;
  maxImageBytes: number;
}

/** Until a relay has spoken, the protocol's defaults. */
export const DEFAULT_ANNOUNCED_LIMITS: Readonly<AnnouncedLimits> = Object.freeze({
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
  memberTimeoutMs: DEFAULT_MEMBER_TIMEOUT_MS,
  maxTextBytes: DEFAULT_MAX_TEXT_BYTES,
  maxImageBytes: DEFAULT_MAX_IMAGE_BYTES,
});

/** The Welcome's limits, each clamped to its range (a value that is not a finite number gets the default). */
export function clampAnnouncedLimits(welcome: Pick<WelcomeBody, keyof AnnouncedLimits>): AnnouncedLimits {
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
