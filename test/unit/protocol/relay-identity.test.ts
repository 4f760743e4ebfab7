import assert from 'node:assert/strict';
import {
  createRelayIdentity,
  relayFingerprint,
  relayIdentityFromSeed,
  relayIdentitySeed,
  RoomSalts,
  signWelcome,
  verifyWelcome,
} from '../../../src/protocol/relay-identity';

describe('protocol/relay-identity', () => {
  const identity = createRelayIdentity();
  const nonce = Uint8Array.from({ length: 8 }, (_, i) => i);
  const hopKey = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
  const roomSalt = new Uint8Array(16).fill(0x33);
  const essentials = { clientNonce: nonce, hopPublicKey: hopKey, memberId: 7, roomSalt };

  it('verifies its own Welcome signature, and no other nonce, hop key, member id, room salt or key', () => {
    const signature = signWelcome(identity, essentials);
    assert.equal(verifyWelcome(identity.publicKey, signature, essentials), true);
    assert.equal(verifyWelcome(identity.publicKey, signature, { ...essentials, clientNonce: Uint8Array.from(nonce).reverse() }), false);
    assert.equal(verifyWelcome(identity.publicKey, signature, { ...essentials, hopPublicKey: Uint8Array.from(hopKey).reverse() }), false);
    assert.equal(verifyWelcome(identity.publicKey, signature, { ...essentials, memberId: 8 }), false);
    assert.equal(verifyWelcome(identity.publicKey, signature, { ...essentials, roomSalt: new Uint8Array(16).fill(0x34) }), false);
    assert.equal(verifyWelcome(identity.publicKey, signature, { ...essentials, roomSalt: roomSalt.subarray(1) }), false);
    assert.equal(verifyWelcome(createRelayIdentity().publicKey, signature, essentials), false);
    assert.equal(verifyWelcome(identity.publicKey.subarray(1), signature, essentials), false);
  });

  it('is the same identity again from its seed', () => {
    const restored = relayIdentityFromSeed(relayIdentitySeed(identity));
    assert.deepEqual(restored.publicKey, identity.publicKey);
    assert.equal(verifyWelcome(identity.publicKey, signWelcome(restored, essentials), essentials), true);
  });

  it('gives each room a 16-byte salt of its own, the same again from the same seed, and another under another identity', () => {
    const salts = new RoomSalts(identity);
    const general = salts.of('general');
    assert.equal(general.length, 16);
    assert.notDeepEqual(salts.of('random'), general);
    assert.deepEqual(new RoomSalts(relayIdentityFromSeed(relayIdentitySeed(identity))).of('general'), general);
    assert.notDeepEqual(new RoomSalts(createRelayIdentity()).of('general'), general);
  });

  it('writes a fingerprint as 128 bits of hex in groups of four, different per key', () => {
    assert.match(relayFingerprint(identity.publicKey), /^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
    assert.notEqual(relayFingerprint(identity.publicKey), relayFingerprint(createRelayIdentity().publicKey));
  });
});
