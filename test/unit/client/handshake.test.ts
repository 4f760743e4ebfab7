import assert from 'node:assert/strict';
import { Handshake } from '../../../src/client/handshake';
import { decodePacket } from '../../../src/protocol/codec';
import { createHopKeyPair, deriveHopKeys, type HopKeys } from '../../../src/protocol/hop-auth';
import { createRelayIdentity, relayFingerprint, type RelayIdentity } from '../../../src/protocol/relay-identity';
import { ExtensionTag, PacketType, type JoinPacket, type WelcomeBody } from '../../../src/protocol/types';
import { welcomeDatagram } from '../../../src/relay/admission';
import { DEFAULT_RELAY_LIMITS } from '../../../src/relay/limits';

const MEMBER = 7;

function joinOf(handshake: Handshake): JoinPacket {
  const decoded = decodePacket(handshake.joinDatagram(0));
  assert.ok(decoded.ok && decoded.value.type === PacketType.Join);
  return decoded.value;
}

/** The relay's real Welcome for the handshake's current Join, from `identity`. */
function welcomeFrom(handshake: Handshake, identity: RelayIdentity, memberId = MEMBER) {
  const join = joinOf(handshake);
  const relayHop = createHopKeyPair();
  const keys = deriveHopKeys(relayHop.privateKey, join.body.extensions.get(ExtensionTag.HopPublicKey) as Uint8Array, join.body.clientNonce) as HopKeys;
  const datagram = welcomeDatagram(memberId, join.body.clientNonce, 'general', DEFAULT_RELAY_LIMITS, relayHop.publicKey, keys, identity);
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
    const handshake = new Handshake('alice', 'general', undefined);
    const welcome = welcomeFrom(handshake, relayA);
    assert.deepEqual(handshake.acceptWelcome(welcome.datagram, welcome.memberId, welcome.body), {
      kind: 'accepted',
      firstUse: true,
      fingerprint: relayFingerprint(relayA.publicKey),
    });
    assert.ok(handshake.keys);
  });

  it('ignores a forged Welcome with the right nonce and a valid hop tag that claims the identity without its key', () => {
    const handshake = new Handshake('alice', 'general', undefined, relayFingerprint(relayA.publicKey));
    // The forger saw the nonce, runs its own hop key exchange, and announces relay A's key signed with its own.
    const forged = welcomeFrom(handshake, { privateKey: relayB.privateKey, publicKey: relayA.publicKey });
    assert.deepEqual(handshake.acceptWelcome(forged.datagram, forged.memberId, forged.body), { kind: 'unsigned' });
    assert.equal(handshake.keys, undefined);
    const real = welcomeFrom(handshake, relayA);
    assert.equal(handshake.acceptWelcome(real.datagram, real.memberId, real.body).kind, 'accepted');
  });

  it('ignores a Welcome whose identity signature was altered', () => {
    const handshake = new Handshake('alice', 'general', undefined);
    const welcome = welcomeFrom(handshake, relayA);
    const altered = Uint8Array.from(welcome.body.extensions.get(ExtensionTag.RelayIdentityProof) as Uint8Array);
    altered[0] = (altered[0] as number) ^ 1;
    const verdict = handshake.acceptWelcome(welcome.datagram, welcome.memberId, withExtension(welcome.body, ExtensionTag.RelayIdentityProof, altered));
    assert.deepEqual(verdict, { kind: 'unsigned' });
  });

  it('ignores a Welcome whose identity signature is for another member id', () => {
    const handshake = new Handshake('alice', 'general', undefined);
    const welcome = welcomeFrom(handshake, relayA);
    assert.deepEqual(handshake.acceptWelcome(welcome.datagram, MEMBER + 1, welcome.body), { kind: 'unsigned' });
  });

  it('ignores a Welcome without an identity', () => {
    const handshake = new Handshake('alice', 'general', undefined);
    const welcome = welcomeFrom(handshake, relayA);
    const extensions = new Map(welcome.body.extensions);
    extensions.delete(ExtensionTag.RelayIdentity);
    assert.deepEqual(handshake.acceptWelcome(welcome.datagram, welcome.memberId, { ...welcome.body, extensions }), { kind: 'unsigned' });
  });

  it('refuses, on a rejoin, a properly signed Welcome from another identity than the first', () => {
    const handshake = new Handshake('alice', 'general', undefined);
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
    const handshake = new Handshake('alice', 'general', undefined);
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
    const handshake = new Handshake('alice', 'general', undefined, relayFingerprint(relayA.publicKey));
    const welcome = welcomeFrom(handshake, relayB);
    assert.equal(handshake.acceptWelcome(welcome.datagram, welcome.memberId, welcome.body).kind, 'key-changed');
    const pinned = welcomeFrom(handshake, relayA);
    assert.deepEqual(handshake.acceptWelcome(pinned.datagram, pinned.memberId, pinned.body), {
      kind: 'accepted',
      firstUse: false,
      fingerprint: relayFingerprint(relayA.publicKey),
    });
  });
});
