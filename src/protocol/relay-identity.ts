/**
 * The relay's long-term identity (SSH's host key, pinned on first use like known_hosts): an Ed25519 key whose
 * signature in every Welcome covers this join's nonce, the relay's hop key and the member id, so each join and
 * each rejoin proves it speaks to the same relay as before, not only the first.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export const RELAY_IDENTITY_KEY_BYTES = 32;
export const RELAY_IDENTITY_SIGNATURE_BYTES = 64;
/** Bytes of SHA-256 a fingerprint shows: 128 bits, beyond any second-preimage search. */
const FINGERPRINT_BYTES = 16;

/** DER prefixes of Ed25519 keys: PKCS#8 private (the 32-byte seed follows) and SPKI public (the key follows). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface RelayIdentity {
  privateKey: KeyObject;
  publicKey: Uint8Array;
}

export function createRelayIdentity(): RelayIdentity {
  const { privateKey } = generateKeyPairSync('ed25519');
  return identityOf(privateKey);
}

/** The identity whose private key is this 32-byte seed (what the identity file holds). */
export function relayIdentityFromSeed(seed: Uint8Array): RelayIdentity {
  if (seed.length !== RELAY_IDENTITY_KEY_BYTES) throw new RangeError(`an identity seed is ${RELAY_IDENTITY_KEY_BYTES} bytes, not ${seed.length}`);
  return identityOf(createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }));
}

export function relayIdentitySeed(identity: RelayIdentity): Uint8Array {
  const der = identity.privateKey.export({ type: 'pkcs8', format: 'der' });
  return new Uint8Array(der.subarray(der.length - RELAY_IDENTITY_KEY_BYTES));
}

function identityOf(privateKey: KeyObject): RelayIdentity {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey: new Uint8Array(spki.subarray(spki.length - RELAY_IDENTITY_KEY_BYTES)) };
}

function welcomeMessage(clientNonce: Uint8Array, hopPublicKey: Uint8Array, memberId: number): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(memberId >>> 0, 0);
  return Buffer.concat([Buffer.from('udpchat v2 relay welcome\0', 'utf8'), clientNonce, hopPublicKey, id]);
}

/** The relay's signature over a Welcome's essentials. */
export function signWelcome(identity: RelayIdentity, clientNonce: Uint8Array, hopPublicKey: Uint8Array, memberId: number): Uint8Array {
  return new Uint8Array(sign(null, welcomeMessage(clientNonce, hopPublicKey, memberId), identity.privateKey));
}

export function verifyWelcome(identityKey: Uint8Array, signature: Uint8Array, clientNonce: Uint8Array, hopPublicKey: Uint8Array, memberId: number): boolean {
  if (identityKey.length !== RELAY_IDENTITY_KEY_BYTES || signature.length !== RELAY_IDENTITY_SIGNATURE_BYTES) return false;
  try {
    const publicKey = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, identityKey]), format: 'der', type: 'spki' });
    return verify(null, welcomeMessage(clientNonce, hopPublicKey, memberId), publicKey, signature);
  } catch {
    return false;
  }
}

/** What a person compares: the first 128 bits of SHA-256 of the key, hex in groups of four ("1a2b:3c4d:…"). */
export function relayFingerprint(identityKey: Uint8Array): string {
  const hex = createHash('sha256').update(identityKey).digest().subarray(0, FINGERPRINT_BYTES).toString('hex');
  return hex.match(/.{4}/g)?.join(':') ?? hex;
}
