import assert from 'node:assert/strict';
import type { MemberInfo } from '../../../src/protocol/payload';
import { withFreshMemberKey, type RoomKeys } from '../../../src/protocol/room-crypto';
import { testRoomKeys } from '../../support/room-keys';
import { ErrorCode, PacketType } from '../../../src/protocol/types';
import { CoreNet, type WirePeer } from '../../support/relay-peer';

/** The members a peer has heard of from the relay, list and joins alike. */
function announced(peer: WirePeer): MemberInfo[] {
  return peer.messages.flatMap((message) => {
    if (message.type === PacketType.MemberList) return message.members;
    if (message.type === PacketType.MemberJoined) return [message.member];
    return [];
  });
}

describe('relay/admission: member keys of a sealed room', () => {
  let annKeys: RoomKeys;
  let benKeys: RoomKeys;
  before(async () => {
    annKeys = await testRoomKeys('correct horse battery', 'vault');
    benKeys = withFreshMemberKey(annKeys);
  });

  it("announces each member with the member key its join's proof covered", () => {
    const net = new CoreNet();
    const ann = net.joined('ann', 'vault', annKeys);
    const ben = net.joined('ben', 'vault', benKeys);
    assert.deepEqual(announced(ben).find((member) => member.name === 'ann')?.signingKey, annKeys.memberPublicKey);
    assert.deepEqual(announced(ann).find((member) => member.name === 'ben')?.signingKey, benKeys.memberPublicKey);
  });

  it('announces members of an open room without a key', () => {
    const net = new CoreNet();
    net.joined('ann');
    const ben = net.joined('ben');
    const ann = announced(ben).find((member) => member.name === 'ann');
    assert.ok(ann);
    assert.equal(ann.signingKey, undefined);
  });

  it('refuses a sealed join whose member key is malformed, and admits the proper one', () => {
    const net = new CoreNet();
    net.joined('ann', 'vault', annKeys);
    const broken = net.joined('ben', 'vault', { ...benKeys, memberPublicKey: new Uint8Array(0) });
    assert.deepEqual(broken.errors.map((error) => error.code), [ErrorCode.Forbidden]);
    assert.deepEqual(net.joins.map((member) => member.name), ['ann']);
    // Sentinel: the same member with its key is admitted.
    const ben = net.joined('ben', 'vault', benKeys);
    assert.deepEqual(ben.errors, []);
    assert.deepEqual(net.joins.map((member) => member.name), ['ann', 'ben']);
  });
});
