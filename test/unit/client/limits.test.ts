import assert from 'node:assert/strict';
import {
  clampAnnouncedLimits,
  MAX_HEARTBEAT_INTERVAL_MS,
  MAX_IMAGE_BYTES,
  MAX_MEMBER_TIMEOUT_MS,
  MAX_TEXT_BYTES,
  MIN_HEARTBEAT_INTERVAL_MS,
  MIN_IMAGE_BYTES,
  MIN_TEXT_BYTES,
} from '../../../src/client/limits';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_TEXT_BYTES, DEFAULT_MEMBER_TIMEOUT_MS } from '../../../src/protocol/constants';

describe('client/limits', () => {
  it('takes a relay\'s ordinary limits as they are', () => {
    const limits = { heartbeatIntervalMs: 1500, memberTimeoutMs: 8000, maxTextBytes: 8192, maxImageBytes: 5_000_000 };
    assert.deepEqual(clampAnnouncedLimits(limits), limits);
  });

  it('clamps limits that would make the client buffer without bound to their maxima', () => {
    const huge = 0xffff_ffff;
    assert.deepEqual(clampAnnouncedLimits({ heartbeatIntervalMs: huge, memberTimeoutMs: huge, maxTextBytes: huge, maxImageBytes: huge }), {
      heartbeatIntervalMs: MAX_HEARTBEAT_INTERVAL_MS,
      memberTimeoutMs: MAX_MEMBER_TIMEOUT_MS,
      maxTextBytes: MAX_TEXT_BYTES,
      maxImageBytes: MAX_IMAGE_BYTES,
    });
  });

  it('clamps limits that would flood the relay with heartbeats or refuse everything to their minima', () => {
    const clamped = clampAnnouncedLimits({ heartbeatIntervalMs: 1, memberTimeoutMs: 0, maxTextBytes: 0, maxImageBytes: 1 });
    assert.equal(clamped.heartbeatIntervalMs, MIN_HEARTBEAT_INTERVAL_MS);
    assert.equal(clamped.maxTextBytes, MIN_TEXT_BYTES);
    assert.equal(clamped.maxImageBytes, MIN_IMAGE_BYTES);
  });

  it('heartbeats at least twice per member timeout, whatever interval the relay announces', () => {
    const clamped = clampAnnouncedLimits({ heartbeatIntervalMs: 5000, memberTimeoutMs: 6000, maxTextBytes: 8192, maxImageBytes: 5_000_000 });
    assert.equal(clamped.heartbeatIntervalMs, 3000);
    assert.equal(clamped.memberTimeoutMs, 6000);
  });

  it('falls back to the defaults for a value that is not a number', () => {
    assert.deepEqual(clampAnnouncedLimits({ heartbeatIntervalMs: Number.NaN, memberTimeoutMs: Infinity, maxTextBytes: Number.NaN, maxImageBytes: -Infinity }), {
      heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
      memberTimeoutMs: DEFAULT_MEMBER_TIMEOUT_MS,
      maxTextBytes: DEFAULT_MAX_TEXT_BYTES,
      maxImageBytes: DEFAULT_MAX_IMAGE_BYTES,
    });
  });
});
