import assert from 'node:assert/strict';
import { Handshake } from '../../../src/client/handshake';
import { decodePacket } from '../../../src/protocol/codec';
import { createHopKeyPair, deriveHopKeys, type HopKeys } from '../../../src/protocol/hop-auth';
import { MIN_JOIN_BYTES } from '../../../src/protocol/older-version';
import { createRelayIdentity, relayFingerprint, RoomSalts, type RelayIdentity } from '../../../src/protocol/relay-identity';
import { verifyJoinProof } from '../../../src/protocol/room-crypto';
import { ExtensionTag, PacketType, type JoinPacket, type WelcomeBody } from '../../../src/protocol/types';
import { welcomeDatagram } from '../../../src/relay/admission';
import { DEFAULT_RELAY_LIMITS } from '../../../src/relay/limits';
import { TEST_ROOM_SALT, testRoomKeys } from '../../support/room-keys';

const MEMBER = 7;

function joinOf(handshake: Handshake): JoinPacket {
  const decoded = decodePacket(handshake.joinDatagram(0));
  assert.ok(decoded.ok && decoded.value.type === PacketType.Join);
  return decoded.value;
}

/** A Challenge to the handshake's current Join with `roomSalt` (by default, what `identity`'s relay hands out). */
function challenge(handshake: Handshake, roomSalt: Uint8Array) {
  return handshake.acceptChallenge({ clientNonce: joinOf(handshake).body.clientNonce, roomSalt, cookie: new Uint8Array(20).fill(7) });
}

/**
 * The relay's real Welcome for the handshake's current Join, from `identity`, after its Challenge (with the
 * relay's salt for the room, unless `challenged` says the handshake already was).
 */
function welcomeFrom(handshake: Handshake, identity: RelayIdentity, memberId = MEMBER, challenged = false) {
  const roomSalt = new RoomSalts(identity).of('general');
  if (!challenged) challenge(handshake, roomSalt);
  const join = joinOf(handshake);
  const relayHop = createHopKeyPair();
  const keys = deriveHopKeys(relayHop.privateKey, join.body.extensions.get(ExtensionTag.HopPublicKey) as Uint8Array, join.body.clientNonce) as HopKeys;
  const datagram = welcomeDatagram(memberId, join.body.clientNonce, 'general', DEFAULT_RELAY_LIMITS, relayHop.publicKey, keys, identity, roomSalt);
  const decoded = decodePacket(datagram);
  assert.ok(decoded.ok && decoded.value.type === PacketType.Welcome);
  return { datagram, memberId: decoded.value.memberId, body: decoded.value.body };
}

/** The same Welcome with one extension replaced (the hop tag is not re-made: only the identity check is tested). */
function withExtension(body: WelcomeBody, tag: number, value: Uint8Array): WelcomeBody {
  return { ...body, extensions: new Map([...body.extensions, [tag, value]]) };
}

describe('client/handshake: the relay identity', () => {
  const relayA = createRelayIdentity();
  const relayB = createRelayIdentity();

  it('takes a Welcome the relay identity signed and reports it as a first use', () => {
    const handshake = new Handshake('alice', 'general', false);
    const welcome = welcomeFrom(handshake, relayA);
    assert.deepEqual(handshake.acceptWelcome(welcome.datagram, welcome.memberId, welcome.body), {
      kind: 'accepted',
      firstUse: true,
      fingerprint: relayFingerprint(relayA.publicKey),
    });
    assert.ok(handshake.keys);
  });

  it('ignores a forged Welcome with the right nonce and a valid hop tag that claims the identity without its key', () => {
    const handshake = new Handshake('alice', 'general', false, relayFingerprint(relayA.publicKey));
    // The forger saw the nonce, runs its own hop key exchange, and announces relay A's key signed with its own.
    const forged = welcomeFrom(handshake, { privateKey: relayB.privateKey, publicKey: relayA.publicKey });
    assert.deepEqual(handshake.acceptWelcome(forged.datagram, forged.memberId, forged.body), { kind: 'unsigned' });
    assert.equal(handshake.keys, undefined);
    const real = welcomeFrom(handshake, relayA);
    assert.equal(handshake.acceptWelcome(real.datagram, real.memberId, real.body).kind, 'accepted');
  });

  it('ignores a Welcome whose identity signature was altered', () => {
    const handshake = new Handshake('alice', 'general', false);
    const welcome = welcomeFrom(handshake, relayA);
    const altered = Uint8Array.from(welcome.body.extensions.get(ExtensionTag.RelayIdentityProof) as Uint8Array);
    altered[0] = (altered[0] as number) ^ 1;
    const verdict = handshake.acceptWelcome(welcome.datagram, welcome.memberId, withExtension(welcome.body, ExtensionTag.RelayIdentityProof, altered));
    assert.deepEqual(verdict, { kind: 'unsigned' });
  });

  it('ignores a Welcome whose identity signature is for another member id', () => {
    const handshake = new Handshake('alice', 'general', false);
    const welcome = welcomeFrom(handshake, relayA);
    assert.deepEqual(handshake.acceptWelcome(welcome.datagram, MEMBER + 1, welcome.body), { kind: 'unsigned' });
  });

  it('ignores a Welcome without an identity', () => {
    const handshake = new Handshake('alice', 'general', false);
    const welcome = welcomeFrom(handshake, relayA);
    const extensions = new Map(welcome.body.extensions);
    extensions.delete(ExtensionTag.RelayIdentity);
    assert.deepEqual(handshake.acceptWelcome(welcome.datagram, welcome.memberId, { ...welcome.body, extensions }), { kind: 'unsigned' });
  });

  it('refuses, on a rejoin, a properly signed Welcome from another identity than the first', () => {
    const handshake = new Handshake('alice', 'general', false);
    const first = welcomeFrom(handshake, relayA);
    assert.equal(handshake.acceptWelcome(first.datagram, first.memberId, first.body).kind, 'accepted');
    const keysBefore = handshake.keys;
    handshake.restart();
    const impostor = welcomeFrom(handshake, relayB);
    assert.deepEqual(handshake.acceptWelcome(impostor.datagram, impostor.memberId, impostor.body), {
      kind: 'key-changed',
      expected: relayFingerprint(relayA.publicKey),
      offered: relayFingerprint(relayB.publicKey),
    });
    assert.equal(handshake.keys, keysBefore);
  });

  it('takes the same identity again on a rejoin, not as a first use', () => {
    const handshake = new Handshake('alice', 'general', false);
    const first = welcomeFrom(handshake, relayA);
    handshake.acceptWelcome(first.datagram, first.memberId, first.body);
    handshake.restart();
    const again = welcomeFrom(handshake, relayA);
    assert.deepEqual(handshake.acceptWelcome(again.datagram, again.memberId, again.body), {
      kind: 'accepted',
      firstUse: false,
      fingerprint: relayFingerprint(relayA.publicKey),
    });
  });

  it('refuses a first Welcome from another identity than the pinned one', () => {
    const handshake = new Handshake('alice', 'general', false, relayFingerprint(relayA.publicKey));
    const welcome = welcomeFrom(handshake, relayB);
    assert.equal(handshake.acceptWelcome(welcome.datagram, welcome.memberId, welcome.body).kind, 'key-changed');
    const pinned = welcomeFrom(handshake, relayA);
    assert.deepEqual(handshake.acceptWelcome(pinned.datagram, pinned.memberId, pinned.body), {
      kind: 'accepted',
      firstUse: false,
      fingerprint: relayFingerprint(relayA.publicKey),
    });
  });

  it('refuses a Welcome whose identity proof covers another room salt than the one of the Challenge it answered', () => {
    const handshake = new Handshake('alice', 'general', false);
    // An on-path forger's Challenge, answering our nonce, with a salt of its choosing.
    challenge(handshake, new Uint8Array(16).fill(0xee));
    const welcome = welcomeFrom(handshake, relayA, MEMBER, true);
    assert.deepEqual(handshake.acceptWelcome(welcome.datagram, welcome.memberId, welcome.body), { kind: 'unsigned' });
    assert.equal(handshake.keys, undefined);
  });

  it('refuses a Welcome before any Challenge answered this join, a rejoin\'s too (no salt to hold the relay to)', () => {
    const handshake = new Handshake('alice', 'general', false);
    const early = welcomeFrom(handshake, relayA, MEMBER, true);
    assert.deepEqual(handshake.acceptWelcome(early.datagram, early.memberId, early.body), { kind: 'unsigned' });
    const first = welcomeFrom(handshake, relayA);
    assert.equal(handshake.acceptWelcome(first.datagram, first.memberId, first.body).kind, 'accepted');
    handshake.restart();
    const rejoin = welcomeFrom(handshake, relayA, MEMBER, true);
    assert.deepEqual(handshake.acceptWelcome(rejoin.datagram, rejoin.memberId, rejoin.body), { kind: 'unsigned' });
  });
});

describe('client/handshake: the Join', () => {
  it('pads a Join shorter than MIN_JOIN_BYTES to it, so an older relay has room to answer', () => {
    const handshake = new Handshake('a', 'g', false);
    const datagram = handshake.joinDatagram(0);
    assert.equal(datagram.length, MIN_JOIN_BYTES);
    const decoded = decodePacket(datagram);
    assert.ok(decoded.ok && decoded.value.type === PacketType.Join);
    assert.ok(decoded.value.body.extensions.has(ExtensionTag.Padding));
  });

  it('in a sealed room, proves the room key only in a challenged Join, with keys derived for the Challenge\'s salt', async () => {
    const salt = TEST_ROOM_SALT;
    const keys = await testRoomKeys('correct horse', 'general', salt);
    const handshake = new Handshake('alice', 'general', true);
    assert.equal(joinOf(handshake).body.extensions.get(ExtensionTag.RoomProof), undefined, 'a Join before the Challenge');
    challenge(handshake, salt);
    assert.equal(handshake.needsRoomKeys, true);
    assert.equal(handshake.useRoomKeys(new Uint8Array(16).fill(0x22), keys), false, 'keys for another salt were taken');
    assert.equal(handshake.needsRoomKeys, true);
    assert.equal(handshake.useRoomKeys(salt, keys), true);
    const join = joinOf(handshake);
    const proof = join.body.extensions.get(ExtensionTag.RoomProof);
    assert.ok(proof);
    const hopKey = join.body.extensions.get(ExtensionTag.HopPublicKey) as Uint8Array;
    assert.ok(verifyJoinProof(keys.verifyKey, proof, join.body.clientNonce, hopKey, keys.memberPublicKey, 'alice', 'general'));
  });
});
