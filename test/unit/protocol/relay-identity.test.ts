import assert from 'node:assert/strict';
import {
  createRelayIdentity,
  relayFingerprint,
  relayIdentityFromSeed,
  relayIdentitySeed,
  signWelcome,
  verifyWelcome,
} from '../../../src/protocol/relay-identity';

describe('protocol/relay-identity', () => {
  const identity = createRelayIdentity();
  const nonce = Uint8Array.from({ length: 8 }, (_, i) => i);
  const hopKey = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);

  it('verifies its own Welcome signature, and no other nonce, hop key, member id or key', () => {
    const signature = signWelcome(identity, nonce, hopKey, 7);
    assert.equal(verifyWelcome(identity.publicKey, signature, nonce, hopKey, 7), true);
    assert.equal(verifyWelcome(identity.publicKey, signature, Uint8Array.from(nonce).reverse(), hopKey, 7), false);
    assert.equal(verifyWelcome(identity.publicKey, signature, nonce, Uint8Array.from(hopKey).reverse(), 7), false);
    assert.equal(verifyWelcome(identity.publicKey, signature, nonce, hopKey, 8), false);
    assert.equal(verifyWelcome(createRelayIdentity().publicKey, signature, nonce, hopKey, 7), false);
    assert.equal(verifyWelcome(identity.publicKey.subarray(1), signature, nonce, hopKey, 7), false);
  });

  it('is the same identity again from its seed', () => {
    const restored = relayIdentityFromSeed(relayIdentitySeed(identity));
    assert.deepEqual(restored.publicKey, identity.publicKey);
    assert.equal(verifyWelcome(identity.publicKey, signWelcome(restored, nonce, hopKey, 1), nonce, hopKey, 1), true);
  });

  it('writes a fingerprint as 128 bits of hex in groups of four, different per key', () => {
    assert.match(relayFingerprint(identity.publicKey), /^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
    assert.notEqual(relayFingerprint(identity.publicKey), relayFingerprint(createRelayIdentity().publicKey));
  });
});
