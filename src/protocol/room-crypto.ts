/**
 * End-to-end encryption of a room with a passphrase.
 *
 * - The room key: scrypt(passphrase, salt = "udpchat v3 room" + the relay's room salt + room), the salt handed out
 *   in the relay's Challenge (16 bytes, the same for a room on one relay, different on every other relay: per-site
 *   salts, as in password storage). So one passphrase gives every room, on every relay, a different key and
 *   verifier: no table computed once covers `general` everywhere, a guess is paid for per room and relay, and
 *   the verifiers of one room on two relays cannot be linked.
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
 *   Its high-water marks can be exported and restored (replay-marks.ts), so a restarted client refuses what it
 *   opened before the restart.
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
import { MAX_REPLAY_MARKS, type ReplayMark } from './replay-marks';
import { ROOM_SALT_BYTES } from './codec';
import type { MessageType } from './types';

/**
 * scrypt cost, OWASP's password-storage figure for p = 1: N = 2^17 (iterations), r = 8 (block size, 128·r bytes),
 * p = 1 (lanes). It takes 128·N·r = 128 MiB and ~0.5 s of one core, once per room, relay and process.
 */
export const SCRYPT_PARAMS = { N: 1 << 17, r: 8, p: 1 } as const;
/** Bytes scrypt may allocate: twice the 128 MiB it needs (node's default ceiling, 32 MiB, would refuse it). */
const SCRYPT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;
/** Bytes of the room secret scrypt derives (the HKDF input for the content and proof keys). */
const ROOM_SECRET_BYTES = 32;

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
  return memberKeyOf(keys, generateKeyPairSync('ed25519').privateKey);
}

/** The same room keys with the member key `memberKey` (an Ed25519 private key): one member, whatever the salt. */
export function memberKeyOf(keys: RoomKeys, memberKey: KeyObject): RoomKeys {
  return { ...keys, memberKey, memberPublicKey: rawPublicKey(createPublicKey(memberKey)) };
}

/** The scrypt salt of a room: a domain string, the relay's room salt (ROOM_SALT_BYTES) and the room name. */
export function roomScryptSalt(room: string, roomSalt: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from('udpchat v3 room\0', 'utf8'), roomSalt, Buffer.from(room, 'utf8')]);
}

/**
 * Derives a room's keys from its passphrase and the salt the relay handed out for the room (its Challenge's
 * `roomSalt`). Runs scrypt on libuv's thread pool, never on the caller's thread.
 */
export async function deriveRoomKeys(passphrase: string, room: string, roomSalt: Uint8Array): Promise<RoomKeys> {
  if (roomSalt.length !== ROOM_SALT_BYTES) throw new RangeError(`a room salt is ${ROOM_SALT_BYTES} bytes, not ${roomSalt.length}`);
  const secret = await new Promise<Buffer>((resolve, reject) => {
    scrypt(
      Buffer.from(passphrase.normalize('NFC'), 'utf8'),
      roomScryptSalt(room, roomSalt),
      ROOM_SECRET_BYTES,
      { ...SCRYPT_PARAMS, maxmem: SCRYPT_MAX_MEMORY_BYTES },
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
  /** Counters at or below it are refused: the high-water mark of an earlier run (0: none, and 0 is never valid). */
  #floor = 0;
  readonly #seen = new Uint32Array(ReplayWindow.SIZE / 32);

  /** A window that refuses every counter up to `mark` (a restored high-water mark) and accepts those above. */
  static fromMark(mark: number): ReplayWindow {
    const window = new ReplayWindow();
    window.#floor = mark;
    window.#highest = mark;
    return window;
  }

  /** The highest counter accepted (or restored): the high-water mark to keep. */
  get highest(): number {
    return this.#highest;
  }

  /** True when `counter` may be accepted (not seen, not too old, above the floor). Does not record it. */
  check(counter: number): boolean {
    if (counter <= this.#floor) return false;
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

  /** Refuses every counter up to `mark` from now on (a restored mark for a window already in use). */
  raiseFloor(mark: number): void {
    if (mark > this.#highest) this.accept(mark);
    if (mark > this.#floor) this.#floor = mark;
  }
}

/** Sender epochs whose replay windows are kept; the least recently used is forgotten beyond this (a member per epoch). */
const MAX_EPOCHS = 4096;
/** Imported member keys kept, so a message costs one verify and no key parsing; the oldest goes beyond this. */
const MAX_CACHED_KEYS = 4096;

/** Opens payloads sealed and signed by a member of the room, refusing forgeries, impostors and replays. */
export class ContentOpener {
  readonly #keys: RoomKeys;
  /** By `senderHex:epochHex`, least recently used first. */
  readonly #windows = new Map<string, ReplayWindow>();
  readonly #publicKeys = new Map<string, KeyObject | undefined>();
  #revision = 0;

  constructor(keys: RoomKeys) {
    this.#keys = keys;
  }

  /** How many live payloads opened (0: none): the marks need saving again only when it changed. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * `senderKey`: the member key the relay announced for the member the message comes from, if any. A live message
   * (the default) must pass its sender epoch's replay window and moves it; `live: false` (history the relay hands
   * out on purpose, de-duplicated by sender and id elsewhere) is verified and opened without touching any window.
   */
  open(type: MessageType, messageId: bigint, signedSealed: Uint8Array, senderKey: Uint8Array | undefined, options: { live?: boolean } = {}): OpenResult {
    const live = options.live ?? true;
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
    const window = live ? this.#windows.get(epoch) : undefined;
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
    if (!live) return { ok: true, plaintext: new Uint8Array(plaintext) };
    // Only authentic payloads may create or move a window, or forgeries could push real messages out of it.
    const accepted = window ?? new ReplayWindow();
    this.#windows.delete(epoch); // re-added last: the most recently used
    remember(this.#windows, epoch, accepted, MAX_EPOCHS);
    accepted.accept(counter);
    this.#revision++;
    return { ok: true, plaintext: new Uint8Array(plaintext) };
  }

  /** The high-water marks of the MAX_REPLAY_MARKS sender epochs used last, least recently used first. */
  exportMarks(): ReplayMark[] {
    return [...this.#windows].slice(-MAX_REPLAY_MARKS).map(([epoch, window]) => {
      const [senderHex = '', epochHex = ''] = epoch.split(':');
      return { senderKey: new Uint8Array(Buffer.from(senderHex, 'hex')), epoch: new Uint8Array(Buffer.from(epochHex, 'hex')), counter: window.highest };
    });
  }

  /**
   * Marks of an earlier run (exportMarks), least recently used first: under each restored (sender, epoch) only
   * counters above its mark open from now on. Sender epochs not among them are opened as before.
   */
  restoreMarks(marks: readonly ReplayMark[]): void {
    for (const mark of marks) {
      if (mark.senderKey.length !== MEMBER_KEY_BYTES || mark.epoch.length !== 8 || !Number.isInteger(mark.counter) || mark.counter < 1 || mark.counter > 0xffff_ffff) continue;
      const epoch = `${Buffer.from(mark.senderKey).toString('hex')}:${Buffer.from(mark.epoch).toString('hex')}`;
      const window = this.#windows.get(epoch);
      if (window) window.raiseFloor(mark.counter);
      else remember(this.#windows, epoch, ReplayWindow.fromMark(mark.counter), MAX_EPOCHS);
    }
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
