/**
 * Hop authentication: every datagram between a client and the relay, after the join, carries a 16-byte tag
 * (SipHash-2-4-128 over the whole datagram) under a key only the two ends know, agreed by an X25519 exchange in
 * Join and Welcome. A datagram that claims a member without that member's key is dropped, wherever it comes from.
 *
 * Only node:crypto (no sockets, no clock): key agreement and tags are functions of their inputs.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { AUTH_TAG_BYTES } from './constants';
import { sipKey, tagsEqual, type SipKey } from './siphash';
import { sipHash128Prefix } from './siphash-fast';
import { Flag } from './types';

export const HOP_PUBLIC_KEY_BYTES = 32;

/** DER prefix of an X25519 SubjectPublicKeyInfo; the raw 32-byte key follows. */
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface HopKeyPair {
  privateKey: KeyObject;
  /** Raw 32-byte public key, as sent in the HopPublicKey extension. */
  publicKey: Uint8Array;
}

/** The two directions' keys of one session. */
export interface HopKeys {
  /** Client to relay. */
  upstream: SipKey;
  /** Relay to client. */
  downstream: SipKey;
}

export function createHopKeyPair(): HopKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey: new Uint8Array(der.subarray(der.length - HOP_PUBLIC_KEY_BYTES)) };
}

/**
 * Both ends call this with their own private key and the other's public key; the client nonce of the join salts
 * the derivation, so every session has fresh keys. Undefined when the peer's key is unusable (wrong size, or a
 * low-order point that makes the shared secret all zeros).
 */
export function deriveHopKeys(ownPrivateKey: KeyObject, peerPublicKey: Uint8Array, clientNonce: Uint8Array): HopKeys | undefined {
  if (peerPublicKey.length !== HOP_PUBLIC_KEY_BYTES) return undefined;
  let shared: Buffer;
  try {
    const publicKey = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, peerPublicKey]), format: 'der', type: 'spki' });
    shared = diffieHellman({ privateKey: ownPrivateKey, publicKey });
  } catch {
    return undefined;
  }
  if (shared.every((byte) => byte === 0)) return undefined;
  const keys = new Uint8Array(hkdfSync('sha256', shared, clientNonce, 'udpchat v1 hop keys', 32));
  return { upstream: sipKey(keys.subarray(0, 16)), downstream: sipKey(keys.subarray(16, 32)) };
}

/** Fills the last AUTH_TAG_BYTES of `datagram` (encoded with Flag.Auth) with the tag of everything before them. */
export function signDatagram(datagram: Uint8Array, key: SipKey): Uint8Array {
  const end = datagram.length - AUTH_TAG_BYTES;
  sipHash128Prefix(key, datagram, end, datagram, end);
  return datagram;
}

/** Scratch space for the tag a verification computes (verification is synchronous, so one buffer serves all). */
const expectedTag = new Uint8Array(AUTH_TAG_BYTES);

/** True when `datagram` has Flag.Auth and its tag is right for `key`. Constant time in the tag comparison. */
export function verifyDatagram(datagram: Uint8Array, key: SipKey): boolean {
  if (datagram.length < AUTH_TAG_BYTES + 5 || ((datagram[4] as number) & Flag.Auth) === 0) return false;
  const end = datagram.length - AUTH_TAG_BYTES;
  sipHash128Prefix(key, datagram, end, expectedTag, 0);
  return tagsEqual(expectedTag, 0, datagram, end, AUTH_TAG_BYTES);
}
