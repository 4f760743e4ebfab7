/**
 * The relay's long-term identity (SSH's host key, pinned on first use like known_hosts): an Ed25519 key whose
 * signature in every Welcome covers this join's nonce, the relay's hop key, the member id and the room salt, so
 * each join and each rejoin proves it speaks to the same relay as before, not only the first, and that this relay
 * handed out the salt the client derived its room keys with.
 *
 * The room salts come from the identity too (RoomSalts): an HMAC of the room name under a key derived from the
 * identity's private key. So a relay keeps no per-room state, a room keeps its salt across restarts with the same
 * identity file, and two relays give the same room different salts.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';
import { ROOM_SALT_BYTES } from './codec';

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

/** The essentials a Welcome's identity proof covers: the nonce, the relay's hop key, the member id, the room salt. */
export interface WelcomeEssentials {
  clientNonce: Uint8Array;
  hopPublicKey: Uint8Array;
  memberId: number;
  /** The relay's salt for the joined room (what its Challenge handed out). */
  roomSalt: Uint8Array;
}

function welcomeMessage(essentials: WelcomeEssentials): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(essentials.memberId >>> 0, 0);
  // Every field has a fixed length but the salt's, which comes last, so no two sets of fields sign alike.
  return Buffer.concat([Buffer.from('udpchat v3 relay welcome\0', 'utf8'), essentials.clientNonce, essentials.hopPublicKey, id, essentials.roomSalt]);
}

/** The relay's signature over a Welcome's essentials. */
export function signWelcome(identity: RelayIdentity, essentials: WelcomeEssentials): Uint8Array {
  return new Uint8Array(sign(null, welcomeMessage(essentials), identity.privateKey));
}

export function verifyWelcome(identityKey: Uint8Array, signature: Uint8Array, essentials: WelcomeEssentials): boolean {
  if (identityKey.length !== RELAY_IDENTITY_KEY_BYTES || signature.length !== RELAY_IDENTITY_SIGNATURE_BYTES) return false;
  if (essentials.roomSalt.length !== ROOM_SALT_BYTES) return false;
  try {
    const publicKey = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, identityKey]), format: 'der', type: 'spki' });
    return verify(null, welcomeMessage(essentials), publicKey, signature);
  } catch {
    return false;
  }
}

/** What a person compares: the first 128 bits of SHA-256 of the key, hex in groups of four ("1a2b:3c4d:…"). */
export function relayFingerprint(identityKey: Uint8Array): string {
  const hex = createHash('sha256').update(identityKey).digest().subarray(0, FINGERPRINT_BYTES).toString('hex');
  return hex.match(/.{4}/g)?.join(':') ?? hex;
}

/** HKDF info of the room-salt key: binds the key to this one use of the identity seed. */
const ROOM_SALT_INFO = 'udpchat room salt';
/** Bytes of the room-salt key (HMAC-SHA256's block is larger; 256 bits is its strength). */
const ROOM_SALT_KEY_BYTES = 32;

/**
 * A relay's salt for each room (ROOM_SALT_BYTES): the first bytes of HMAC-SHA256(key, room), the key derived
 * from the identity's private key with HKDF. Deterministic, so nothing is stored; secret, so nobody can compute
 * another relay's salts ahead of it. Replacing the identity replaces every salt, and with them every sealed room's
 * keys.
 */
export class RoomSalts {
  readonly #key: Buffer;

  constructor(identity: RelayIdentity) {
    this.#key = Buffer.from(hkdfSync('sha256', relayIdentitySeed(identity), Buffer.alloc(0), ROOM_SALT_INFO, ROOM_SALT_KEY_BYTES));
  }

  of(room: string): Uint8Array {
    return new Uint8Array(createHmac('sha256', this.#key).update(room, 'utf8').digest().subarray(0, ROOM_SALT_BYTES));
  }
}
