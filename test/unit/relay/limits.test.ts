import assert from 'node:assert/strict';
import { decodePacket, peekType } from '../../../src/protocol/codec';
import { PacketType } from '../../../src/protocol/types';
import { clampRelayLimits, DEFAULT_RELAY_LIMITS, RELAY_LIMIT_RANGES } from '../../../src/relay/limits';
import { CoreNet, WirePeer } from '../../support/relay-peer';

describe('relay/limits', () => {
  it('uses the defaults for limits not given', () => {
    assert.deepEqual(clampRelayLimits(), DEFAULT_RELAY_LIMITS);
    assert.deepEqual(clampRelayLimits({ maxTextBytes: 1000 }), { ...DEFAULT_RELAY_LIMITS, maxTextBytes: 1000 });
  });

  it('clamps every limit above its range to the most it allows', () => {
    const huge = clampRelayLimits({
      maxMembersPerRoom: 1e9,
      maxRooms: 1e9,
      memberTimeoutMs: 1e12,
      legacyTimeoutMs: 1e12,
      maxTextBytes: 2 ** 32 - 1,
      maxImageBytes: 2 ** 32 - 1,
      heartbeatIntervalMs: 1e9,
    });
    for (const key of Object.keys(RELAY_LIMIT_RANGES) as Array<keyof typeof RELAY_LIMIT_RANGES>) {
      assert.equal(huge[key], RELAY_LIMIT_RANGES[key][1], key);
    }
  });

  it('clamps every limit below its range to the least it allows', () => {
    const tiny = clampRelayLimits({ maxMembersPerRoom: 0, maxRooms: -5, legacyTimeoutMs: 0, maxTextBytes: 0, maxImageBytes: -1, heartbeatIntervalMs: 0, memberTimeoutMs: 0 });
    assert.equal(tiny.maxMembersPerRoom, 1);
    assert.equal(tiny.maxRooms, 1);
    assert.equal(tiny.legacyTimeoutMs, RELAY_LIMIT_RANGES.legacyTimeoutMs[0]);
    assert.equal(tiny.maxTextBytes, 1);
    assert.equal(tiny.maxImageBytes, 1);
    assert.equal(tiny.heartbeatIntervalMs, RELAY_LIMIT_RANGES.heartbeatIntervalMs[0]);
    assert.equal(tiny.memberTimeoutMs, RELAY_LIMIT_RANGES.memberTimeoutMs[0]);
  });

  it('takes the default for a limit that is not a finite number', () => {
    const odd = clampRelayLimits({ maxTextBytes: Number.NaN, heartbeatIntervalMs: Number.POSITIVE_INFINITY });
    assert.equal(odd.maxTextBytes, DEFAULT_RELAY_LIMITS.maxTextBytes);
    assert.equal(odd.heartbeatIntervalMs, DEFAULT_RELAY_LIMITS.heartbeatIntervalMs);
  });

  it('gives a member at least two heartbeat intervals of silence before eviction', () => {
    assert.equal(clampRelayLimits({ heartbeatIntervalMs: 1000, memberTimeoutMs: 1500 }).memberTimeoutMs, 2000);
    assert.equal(clampRelayLimits({ heartbeatIntervalMs: 100, memberTimeoutMs: 600 }).memberTimeoutMs, 600);
  });

  it('announces the clamped limits in its Welcome', () => {
    const net = new CoreNet({ limits: { maxTextBytes: 2 ** 32 - 1, maxImageBytes: 2 ** 32 - 1, heartbeatIntervalMs: 1, memberTimeoutMs: 2 ** 32 - 1 } });
    const peer = net.add(new WirePeer('ann'));
    let welcome: Uint8Array | undefined;
    const receive = peer.receive.bind(peer);
    peer.receive = (datagram, now) => {
      if (peekType(datagram) === PacketType.Welcome) welcome = datagram;
      receive(datagram, now);
    };
    peer.join();
    net.flush();
    assert.ok(welcome, 'no Welcome');
    const decoded = decodePacket(welcome);
    assert.ok(decoded.ok && decoded.value.type === PacketType.Welcome);
    assert.equal(decoded.value.body.maxTextBytes, RELAY_LIMIT_RANGES.maxTextBytes[1]);
    assert.equal(decoded.value.body.maxImageBytes, RELAY_LIMIT_RANGES.maxImageBytes[1]);
    assert.equal(decoded.value.body.heartbeatIntervalMs, RELAY_LIMIT_RANGES.heartbeatIntervalMs[0]);
    assert.equal(decoded.value.body.memberTimeoutMs, RELAY_LIMIT_RANGES.memberTimeoutMs[1]);
  });
});
