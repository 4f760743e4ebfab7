/**
 * End-to-end encryption of a room with a passphrase.
 *
 * - The room key: scrypt(passphrase, salt = "udpchat v1 room" + room) — per-room salt, so one passphrase gives
 *   every room a different key, and a guess must be paid for per room.
 * - From it (HKDF-SHA256): an AES-256-GCM content key, and an Ed25519 signing key whose public half is the room's
 *   verifier. A joining member signs its join with it; the relay checks the signature against the verifier the
 *   room was opened with, so it can refuse members without the key while never holding the key itself.
 * - Each member also has its own Ed25519 signing key (the member key), fresh per process. Its public half is
 *   covered by the join proof, so the relay announces it with the member and every member knows whose it is.
 * - Every text and image payload is sealed with AES-256-GCM before it is fragmented. The nonce is the sender's
 *   random 64-bit epoch and a 32-bit counter, so it never repeats; the associated data binds the room, the message
 *   type, the message id the relay routes on and the sender's member key, so the relay can route but neither read
 *   nor alter.
 * - The sealed payload is then signed with the sender's member key (Megolm's idea): the content key is shared by
 *   the whole room, so it proves membership only; the signature proves which member spoke.
 * - A replay window per sender key and epoch refuses a sealed payload seen before; only signed payloads move it.
 *
 * Only node:crypto: no sockets, no clock.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  hkdfSync,
  randomBytes,
  scrypt,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { MessageType } from './types';

/** scrypt cost: N = 2^15, r = 8 (32 MiB, ~100 ms on a laptop core) — OWASP's minimum for passphrases. */
const SCRYPT_N = 1 << 15;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
/** scrypt needs 128·N·r bytes; node's default ceiling (32 MiB) is exactly that, so leave headroom. */
const SCRYPT_MAX_MEMORY = 64 * 1024 * 1024;

export const ROOM_VERIFY_KEY_BYTES = 32;
export const JOIN_PROOF_BYTES = 64;
export const MEMBER_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;
/** Bytes a sealed payload adds: nonce, GCM tag and the sender's signature. */
export const SEAL_OVERHEAD_BYTES = NONCE_BYTES + GCM_TAG_BYTES + SIGNATURE_BYTES;

/** DER prefixes of Ed25519 keys: PKCS#8 private (the 32-byte seed follows) and SPKI public (the key follows). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface RoomKeys {
  room: string;
  contentKey: KeyObject;
  proofKey: KeyObject;
  /** The room's public verifier: what the relay compares joins against. */
  verifyKey: Uint8Array;
  /** This member's own signing key (private), and its public half as announced by the relay. */
  memberKey: KeyObject;
  memberPublicKey: Uint8Array;
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const spki = key.export({ type: 'spki', format: 'der' });
  return new Uint8Array(spki.subarray(spki.length - ROOM_VERIFY_KEY_BYTES));
}

/** The same room keys with a fresh member key: another member of the room (a restarted process, or a test peer). */
export function withFreshMemberKey(keys: RoomKeys): RoomKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { ...keys, memberKey: privateKey, memberPublicKey: rawPublicKey(publicKey) };
}

/** Derives a room's keys from its passphrase. Runs scrypt on libuv's thread pool, never on the caller's thread. */
export async function deriveRoomKeys(passphrase: string, room: string): Promise<RoomKeys> {
  const secret = await new Promise<Buffer>((resolve, reject) => {
    scrypt(
      Buffer.from(passphrase.normalize('NFC'), 'utf8'),
      Buffer.from(`udpchat v1 room\0${room}`, 'utf8'),
      32,
      { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, maxmem: SCRYPT_MAX_MEMORY },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
  const expand = (info: string): Buffer => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
  const proofKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, expand('udpchat v1 room proof')]), format: 'der', type: 'pkcs8' });
  return withFreshMemberKey({
    room,
    contentKey: createSecretKey(expand('udpchat v1 content')),
    proofKey,
    verifyKey: rawPublicKey(createPublicKey(proofKey)),
    memberKey: proofKey,
    memberPublicKey: new Uint8Array(0),
  });
}

function joinProofMessage(clientNonce: Uint8Array, hopPublicKey: Uint8Array, memberKey: Uint8Array, name: string, room: string): Buffer {
  return Buffer.concat([Buffer.from('udpchat v2 join proof\0', 'utf8'), clientNonce, hopPublicKey, memberKey, Buffer.from(`${name}\0${room}`, 'utf8')]);
}

/**
 * A member's proof that it holds the room key, bound to this join's nonce, hop key and member key: replaying it
 * elsewhere gives a session nobody can use, and the member key it announces is vouched for by a room member.
 */
export function signJoinProof(keys: RoomKeys, clientNonce: Uint8Array, hopPublicKey: Uint8Array, name: string): Uint8Array {
  return new Uint8Array(sign(null, joinProofMessage(clientNonce, hopPublicKey, keys.memberPublicKey, name, keys.room), keys.proofKey));
}

/**
 * Encodings (sign bit cleared) of the Ed25519 points of small order, and of their non-canonical twins: a verifier
 * made of one of them accepts forged signatures (e.g. all zeros), so it can never be a room's verifier.
 */
const SMALL_ORDER_POINTS = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

export function isWeakVerifyKey(verifyKey: Uint8Array): boolean {
  const masked = Buffer.from(verifyKey);
  masked[31] = (masked[31] as number) & 0x7f;
  return SMALL_ORDER_POINTS.includes(masked.toString('hex'));
}

export function verifyJoinProof(
  verifyKey: Uint8Array,
  proof: Uint8Array,
  clientNonce: Uint8Array,
  hopPublicKey: Uint8Array,
  memberKey: Uint8Array,
  name: string,
  room: string,
): boolean {
  if (verifyKey.length !== ROOM_VERIFY_KEY_BYTES || proof.length !== JOIN_PROOF_BYTES || isWeakVerifyKey(verifyKey)) return false;
  if (memberKey.length !== MEMBER_KEY_BYTES || isWeakVerifyKey(memberKey)) return false;
  const publicKey = importPublicKey(verifyKey);
  return publicKey !== undefined && safeVerify(joinProofMessage(clientNonce, hopPublicKey, memberKey, name, room), publicKey, proof);
}

function importPublicKey(raw: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

function safeVerify(message: Buffer, publicKey: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

function associatedData(room: string, type: MessageType, messageId: bigint, senderKey: Uint8Array): Buffer {
  const fixed = Buffer.alloc(9);
  fixed.writeUInt8(type, 0);
  fixed.writeBigUInt64BE(messageId, 1);
  return Buffer.concat([Buffer.from(`udpchat v2 sealed\0${room}\0`, 'utf8'), fixed, senderKey]);
}

/** What the sender signs: room, type, id and its own key (as the associated data) and the sealed bytes. */
function signedMessage(room: string, type: MessageType, messageId: bigint, senderKey: Uint8Array, sealed: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from('udpchat v2 sender\0', 'utf8'), associatedData(room, type, messageId, senderKey), sealed]);
}

/** Seals payloads of one sender: a random epoch per instance, a counter per payload. */
export class ContentSealer {
  readonly #keys: RoomKeys;
  #epoch: Buffer = randomBytes(8);
  #counter = 0;

  constructor(keys: RoomKeys) {
    this.#keys = keys;
  }

  /** nonce (12) ‖ ciphertext ‖ GCM tag (16) ‖ Ed25519 signature by the member key (64). */
  seal(type: MessageType, messageId: bigint, plaintext: Uint8Array): Uint8Array {
    if (this.#counter === 0xffff_ffff) {
      // 2^32 payloads under one epoch: start a fresh epoch rather than ever reuse a nonce.
      this.#epoch = randomBytes(8);
      this.#counter = 0;
    }
    const nonce = Buffer.alloc(NONCE_BYTES);
    this.#epoch.copy(nonce, 0);
    nonce.writeUInt32BE(++this.#counter, 8);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.contentKey, nonce, { authTagLength: GCM_TAG_BYTES });
    const { room, memberPublicKey } = this.#keys;
    cipher.setAAD(associatedData(room, type, messageId, memberPublicKey));
    const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const signature = sign(null, signedMessage(room, type, messageId, memberPublicKey, sealed), this.#keys.memberKey);
    return new Uint8Array(Buffer.concat([sealed, signature]));
  }
}

export type OpenResult =
  | { ok: true; plaintext: Uint8Array }
  /**
   * `unverified`: no key for the claimed sender, or its signature does not verify (not from that member);
   * `forged`: signed by the sender, but the tag does not verify (a wrong passphrase); `replayed`: opened before.
   */
  | { ok: false; reason: 'malformed' | 'unverified' | 'forged' | 'replayed' };

/** Sliding-window replay check (RFC 4303 style) over one sender epoch's counters. */
export class ReplayWindow {
  /** Counters older than the highest by this many are refused outright. */
  static readonly SIZE = 1024;
  #highest = 0;
  readonly #seen = new Uint32Array(ReplayWindow.SIZE / 32);

  /** True when `counter` may be accepted (not seen, not too old). Does not record it. */
  check(counter: number): boolean {
    if (counter === 0) return false;
    if (counter > this.#highest) return true;
    if (this.#highest - counter >= ReplayWindow.SIZE) return false;
    const bit = counter % ReplayWindow.SIZE;
    return ((this.#seen[bit >>> 5] as number) & (1 << (bit & 31))) === 0;
  }

  /** Records an accepted counter. */
  accept(counter: number): void {
    if (counter > this.#highest) {
      // Clear the bits of the counters the window slides past.
      const advance = Math.min(counter - this.#highest, ReplayWindow.SIZE);
      for (let step = 1; step <= advance; step++) {
        const bit = (this.#highest + step) % ReplayWindow.SIZE;
        this.#seen[bit >>> 5] = (this.#seen[bit >>> 5] as number) & ~(1 << (bit & 31));
      }
      this.#highest = counter;
    }
    const bit = counter % ReplayWindow.SIZE;
    this.#seen[bit >>> 5] = (this.#seen[bit >>> 5] as number) | (1 << (bit & 31));
  }
}

/** Sender epochs whose replay windows are kept; the oldest is forgotten beyond this (a member per epoch). */
const MAX_EPOCHS = 4096;
/** Imported member keys kept, so a message costs one verify and no key parsing; the oldest goes beyond this. */
const MAX_CACHED_KEYS = 4096;

/** Opens payloads sealed and signed by a member of the room, refusing forgeries, impostors and replays. */
export class ContentOpener {
  readonly #keys: RoomKeys;
  readonly #windows = new Map<string, ReplayWindow>();
  readonly #publicKeys = new Map<string, KeyObject | undefined>();

  constructor(keys: RoomKeys) {
    this.#keys = keys;
  }

  /** `senderKey`: the member key the relay announced for the member the message comes from, if any. */
  open(type: MessageType, messageId: bigint, signedSealed: Uint8Array, senderKey: Uint8Array | undefined): OpenResult {
    if (signedSealed.length < SEAL_OVERHEAD_BYTES) return { ok: false, reason: 'malformed' };
    if (!senderKey || senderKey.length !== MEMBER_KEY_BYTES) return { ok: false, reason: 'unverified' };
    const sealed = signedSealed.subarray(0, signedSealed.length - SIGNATURE_BYTES);
    const signature = signedSealed.subarray(signedSealed.length - SIGNATURE_BYTES);
    const senderHex = Buffer.from(senderKey).toString('hex');
    const publicKey = this.#publicKey(senderHex, senderKey);
    // The signature first: nothing about a payload the sender did not sign may touch its replay window.
    if (!publicKey || !safeVerify(signedMessage(this.#keys.room, type, messageId, senderKey, sealed), publicKey, signature)) {
      return { ok: false, reason: 'unverified' };
    }
    const nonce = sealed.subarray(0, NONCE_BYTES);
    const epoch = `${senderHex}:${Buffer.from(nonce.subarray(0, 8)).toString('hex')}`;
    const counter = new DataView(nonce.buffer, nonce.byteOffset + 8, 4).getUint32(0);
    const window = this.#windows.get(epoch);
    if (window && !window.check(counter)) return { ok: false, reason: 'replayed' };
    if (counter === 0) return { ok: false, reason: 'malformed' };
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#keys.contentKey, nonce, { authTagLength: GCM_TAG_BYTES });
      decipher.setAAD(associatedData(this.#keys.room, type, messageId, senderKey));
      decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
      plaintext = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - GCM_TAG_BYTES)), decipher.final()]);
    } catch {
      return { ok: false, reason: 'forged' };
    }
    // Only authentic payloads may create or move a window, or forgeries could push real messages out of it.
    let accepted = window;
    if (!accepted) {
      accepted = new ReplayWindow();
      remember(this.#windows, epoch, accepted, MAX_EPOCHS);
    }
    accepted.accept(counter);
    return { ok: true, plaintext: new Uint8Array(plaintext) };
  }

  #publicKey(hex: string, raw: Uint8Array): KeyObject | undefined {
    if (this.#publicKeys.has(hex)) return this.#publicKeys.get(hex);
    const key = isWeakVerifyKey(raw) ? undefined : importPublicKey(raw);
    remember(this.#publicKeys, hex, key, MAX_CACHED_KEYS);
    return key;
  }
}

/** Adds to an insertion-ordered map, forgetting the oldest entry beyond `limit`. */
function remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
  map.set(key, value);
  if (map.size > limit) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
