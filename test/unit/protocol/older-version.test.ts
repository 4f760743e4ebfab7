import assert from 'node:assert/strict';
import { CLIENT_NONCE_BYTES, controlHeader, decodePacket, encodeControl } from '../../../src/protocol/codec';
import { PREVIOUS_PROTOCOL_VERSION, PROTOCOL_VERSION } from '../../../src/protocol/constants';
import { decodeOlderError, MIN_JOIN_BYTES, otherVersionReply, UPGRADE_RELAY_MESSAGE } from '../../../src/protocol/older-version';
import { ErrorCode, ExtensionTag, PacketType } from '../../../src/protocol/types';

const NONCE = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

function join(name: string, version: number, room = 'general', padding = 0): Uint8Array {
  const extensions = new Map<number, Uint8Array>([[ExtensionTag.HopPublicKey, new Uint8Array(32)]]);
  if (padding > 0) extensions.set(ExtensionTag.Padding, new Uint8Array(padding - 3));
  const datagram = encodeControl({ ...controlHeader(PacketType.Join, 0), body: { clientNonce: NONCE, name, room, extensions } });
  datagram[2] = version;
  return datagram;
}

describe('protocol/older-version', () => {
  it('answers every previous-version Join from the smallest up with an Error no larger than it', () => {
    for (let length = 1; length <= 32; length++) {
      const trigger = join('n'.repeat(length), PREVIOUS_PROTOCOL_VERSION, 'r'.repeat(length));
      const reply = otherVersionReply(trigger);
      assert.ok(reply, `no answer to a ${trigger.length}-byte Join`);
      assert.ok(reply.length <= trigger.length, `${reply.length} bytes answered ${trigger.length}`);
      assert.equal(reply[2], PREVIOUS_PROTOCOL_VERSION);
      assert.deepEqual(decodeOlderError(reply)?.body.clientNonce, NONCE);
    }
  });

  it('answers nothing to a previous-version datagram that is not a Join', () => {
    const heartbeat = encodeControl({ ...controlHeader(PacketType.Heartbeat, 7), body: { echo: 1 } });
    heartbeat[2] = PREVIOUS_PROTOCOL_VERSION;
    assert.equal(otherVersionReply(heartbeat), undefined);
    assert.equal(otherVersionReply(join('ann', PROTOCOL_VERSION)), undefined);
  });

  it('tells a newer client, in this version, that the relay must be upgraded', () => {
    const reply = otherVersionReply(join('a-newer-client-with-a-long-name', PROTOCOL_VERSION + 1));
    assert.ok(reply);
    const decoded = decodePacket(reply);
    assert.ok(decoded.ok && decoded.value.type === PacketType.Error);
    assert.equal(decoded.value.body.code, ErrorCode.UnsupportedVersion);
    assert.equal(decoded.value.body.message, UPGRADE_RELAY_MESSAGE);
  });

  it('has room to tell a newer client to upgrade the relay when its Join is MIN_JOIN_BYTES, and none below', () => {
    const small = join('e', PROTOCOL_VERSION + 1, 'g');
    const padding = MIN_JOIN_BYTES - small.length;
    const padded = join('e', PROTOCOL_VERSION + 1, 'g', padding);
    assert.equal(padded.length, MIN_JOIN_BYTES);
    const reply = otherVersionReply(padded);
    assert.ok(reply && reply.length <= padded.length);
    assert.equal(otherVersionReply(join('e', PROTOCOL_VERSION + 1, 'g', padding - 1)), undefined);
  });

  it('reads only Errors of the previous version', () => {
    const error = encodeControl({ ...controlHeader(PacketType.Error, 0), body: { code: ErrorCode.UnsupportedVersion, clientNonce: new Uint8Array(CLIENT_NONCE_BYTES), message: 'old' } });
    assert.equal(decodeOlderError(error), undefined, 'a current-version Error is not an older relay');
    error[2] = PREVIOUS_PROTOCOL_VERSION;
    assert.equal(decodeOlderError(error)?.body.message, 'old');
    assert.equal(decodeOlderError(join('ann', PREVIOUS_PROTOCOL_VERSION)), undefined);
  });
});
