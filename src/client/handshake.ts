/**
 * The join handshake and the session's keys: the Join datagram (signed with the previous session's key when there
 * is one, so the relay lets us take that session over), the relay's Challenge (its cookie goes into the Join
 * again, which proves we receive at our address; its room salt is what a sealed room's keys are derived with, and
 * the Join that answers carries the proof made with them), the Welcome's check (the relay's identity must vouch
 * for that salt), and the authentication of every datagram after it. No socket and no clock: the edge sends what
 * this builds.
 */
import { randomBytes } from 'node:crypto';
import { CLIENT_NONCE_BYTES, controlHeader, decodePacket, encodeControl, hasMagic } from '../protocol/codec';
import { MIN_JOIN_BYTES } from '../protocol/older-version';
import { createHopKeyPair, deriveHopKeys, signDatagram, verifyDatagram, type HopKeyPair, type HopKeys } from '../protocol/hop-auth';
import { relayFingerprint, verifyWelcome } from '../protocol/relay-identity';
import { signJoinProof, type RoomKeys } from '../protocol/room-crypto';
import { decodeOlderError } from '../protocol/older-version';
import { ExtensionTag, Flag, PacketType, type ChallengeBody, type ErrorBody, type Packet, type WelcomeBody } from '../protocol/types';

export type Received =
  | { ok: true; packet: Packet; authentic: boolean }
  /** An Error of the previous protocol version: the relay is older than this client. */
  | { ok: 'older-relay'; version: number; body: ErrorBody }
  | { ok: false; why: string };

export type WelcomeVerdict =
  /** `firstUse`: no pin and no earlier Welcome vouched for this identity. */
  | { kind: 'accepted'; firstUse: boolean; fingerprint: string }
  | { kind: 'not-ours' }
  | { kind: 'unsigned' }
  /** Properly signed, but by another relay identity than the one this client trusts. */
  | { kind: 'key-changed'; expected: string; offered: string };

export class Handshake {
  readonly #name: string;
  readonly #room: string;
  /** The room is sealed: a challenged Join carries the room proof, and goes out only with keys for the salt. */
  readonly #sealed: boolean;
  /** The room keys, and the relay salt they were derived with. */
  #roomKeys: { salt: Uint8Array; keys: RoomKeys } | undefined;
  /** The room salt of the Challenge that answered this join attempt. */
  #roomSalt: Uint8Array | undefined;
  #nonce: Uint8Array = randomBytes(CLIENT_NONCE_BYTES);
  /** This join attempt's key pair; the Welcome's key completes the exchange. */
  #keyPair: HopKeyPair = createHopKeyPair();
  /** The current session's keys (kept while rejoining: a join signed with them takes the old session over). */
  #keys: HopKeys | undefined;
  /** The relay's cookie for this join attempt (bound to its nonce and our address), once challenged. */
  #cookie: Uint8Array | undefined;
  readonly #pinnedFingerprint: string | undefined;
  /** The relay's identity key from the first Welcome taken; every later Welcome must carry the same. */
  #relayIdentity: Uint8Array | undefined;

  /** `pinnedFingerprint`: the fingerprint of the relay identity a Welcome must carry (from an earlier run), if any. */
  constructor(name: string, room: string, sealed: boolean, pinnedFingerprint?: string) {
    this.#name = name;
    this.#room = room;
    this.#sealed = sealed;
    this.#pinnedFingerprint = pinnedFingerprint;
  }

  get keys(): HopKeys | undefined {
    return this.#keys;
  }

  /** A new join attempt: a fresh nonce and key pair (the old session's keys are kept until a Welcome replaces them). */
  restart(): void {
    this.#nonce = randomBytes(CLIENT_NONCE_BYTES);
    this.#keyPair = createHopKeyPair();
    this.#cookie = undefined;
    this.#roomSalt = undefined;
  }

  /**
   * Takes a Challenge's cookie and room salt when the Challenge answers this join (its nonce): 'new' when either
   * changed (the Join should go out again at once, once the room keys for the salt are there), 'same' when they
   * are the ones we hold, 'not-ours' for anyone else's.
   */
  acceptChallenge(body: ChallengeBody): 'new' | 'same' | 'not-ours' {
    if (!sameBytes(body.clientNonce, this.#nonce)) return 'not-ours';
    if (this.#cookie && sameBytes(this.#cookie, body.cookie) && this.#roomSalt && sameBytes(this.#roomSalt, body.roomSalt)) return 'same';
    this.#cookie = Uint8Array.from(body.cookie);
    this.#roomSalt = Uint8Array.from(body.roomSalt);
    return 'new';
  }

  /** The room salt of this join attempt's Challenge, undefined before one. */
  get roomSalt(): Uint8Array | undefined {
    return this.#roomSalt;
  }

  /** True when the room is sealed and there are no keys for this attempt's salt yet: no Join may answer it. */
  get needsRoomKeys(): boolean {
    return this.#sealed && this.#roomSalt !== undefined && this.roomKeys === undefined;
  }

  /** The room keys for this attempt's salt, if any. */
  get roomKeys(): RoomKeys | undefined {
    const held = this.#roomKeys;
    return held && this.#roomSalt && sameBytes(held.salt, this.#roomSalt) ? held.keys : undefined;
  }

  /** Keys derived with `salt`: kept (for rejoins too); true when they are for this attempt's salt. */
  useRoomKeys(salt: Uint8Array, keys: RoomKeys): boolean {
    if (!this.#sealed) return false;
    this.#roomKeys = { salt: Uint8Array.from(salt), keys };
    return this.roomKeys !== undefined;
  }

  /** True once a Challenge answered this join attempt: the relay speaks this version. */
  get challenged(): boolean {
    return this.#cookie !== undefined;
  }

  /** True when an Error's nonce answers this join: only someone who saw the join can know it. */
  answersThisJoin(clientNonce: Uint8Array): boolean {
    return sameBytes(clientNonce, this.#nonce);
  }

  /**
   * The Join datagram; `memberId` is the session it may take over (0: none). A sealed room's proof goes only into
   * a challenged Join (the keys depend on the Challenge's salt); a Join shorter than MIN_JOIN_BYTES is padded.
   */
  joinDatagram(memberId: number): Uint8Array {
    const extensions = new Map<number, Uint8Array>([[ExtensionTag.HopPublicKey, this.#keyPair.publicKey]]);
    const roomKeys = this.#cookie ? this.roomKeys : undefined;
    if (roomKeys) {
      extensions.set(ExtensionTag.RoomKey, roomKeys.verifyKey);
      extensions.set(ExtensionTag.MemberKey, roomKeys.memberPublicKey);
      extensions.set(ExtensionTag.RoomProof, signJoinProof(roomKeys, this.#nonce, this.#keyPair.publicKey, this.#name));
    }
    if (this.#cookie) extensions.set(ExtensionTag.Cookie, this.#cookie);
    const body = { clientNonce: this.#nonce, name: this.#name, room: this.#room, extensions };
    const previous = this.#keys;
    const encode = (): Uint8Array =>
      previous && memberId !== 0
        ? signDatagram(encodeControl({ ...controlHeader(PacketType.Join, memberId), flags: Flag.Auth, body }), previous.upstream)
        : encodeControl({ ...controlHeader(PacketType.Join, 0), body });
    const datagram = encode();
    if (datagram.length >= MIN_JOIN_BYTES) return datagram;
    // Tag (1) and length (2) come before the padding's value.
    extensions.set(ExtensionTag.Padding, new Uint8Array(Math.max(0, MIN_JOIN_BYTES - datagram.length - 3)));
    return encode();
  }

  /** The relay identity key of the first Welcome taken, undefined before. */
  get relayIdentity(): Uint8Array | undefined {
    return this.#relayIdentity;
  }

  /**
   * Checks a Welcome: it must answer this join, be signed with the hop key it announces and by the relay identity
   * it announces, over this nonce, that hop key, `memberId` and the room salt of the Challenge we answered (the one
   * our room keys are derived with: a forged Challenge's salt gets no Welcome signed). A Welcome that fails any of
   * these, or comes before a Challenge, is 'unsigned' (ignored: anyone who saw the nonce can forge one). A proper
   * Welcome from another identity than the pinned (or first seen) one is 'key-changed'. On 'accepted' the
   * session's keys are replaced and the identity is kept.
   */
  acceptWelcome(datagram: Uint8Array, memberId: number, body: WelcomeBody): WelcomeVerdict {
    if (!sameBytes(body.clientNonce, this.#nonce)) return { kind: 'not-ours' };
    const roomSalt = this.#roomSalt;
    if (!roomSalt || (this.#sealed && !this.roomKeys)) return { kind: 'unsigned' };
    const relayKey = body.extensions.get(ExtensionTag.HopPublicKey);
    const keys = relayKey ? deriveHopKeys(this.#keyPair.privateKey, relayKey, this.#nonce) : undefined;
    if (!relayKey || !keys || !verifyDatagram(datagram, keys.downstream)) return { kind: 'unsigned' };
    const identity = body.extensions.get(ExtensionTag.RelayIdentity);
    const proof = body.extensions.get(ExtensionTag.RelayIdentityProof);
    const essentials = { clientNonce: this.#nonce, hopPublicKey: relayKey, memberId, roomSalt };
    if (!identity || !proof || !verifyWelcome(identity, proof, essentials)) return { kind: 'unsigned' };
    const offered = relayFingerprint(identity);
    const expected = this.#relayIdentity ? relayFingerprint(this.#relayIdentity) : this.#pinnedFingerprint;
    if (expected !== undefined && expected !== offered) return { kind: 'key-changed', expected, offered };
    const firstUse = expected === undefined;
    this.#relayIdentity = Uint8Array.from(identity);
    this.#keys = keys;
    return { kind: 'accepted', firstUse, fingerprint: offered };
  }

  /**
   * Decodes a datagram from the relay's address and checks its tag. Everything of a session must carry the
   * session's tag; only a Challenge (checked by acceptChallenge), a Welcome (acceptWelcome) and an Error may come
   * unsigned.
   */
  receive(datagram: Uint8Array): Received {
    if (!hasMagic(datagram)) return { ok: false, why: 'not a datagram of this protocol' };
    const decoded = decodePacket(datagram);
    if (!decoded.ok) {
      const older = decoded.error.code === 'UDPCHAT_ERR_UNSUPPORTED_VERSION' ? decodeOlderError(datagram) : undefined;
      return older ? { ok: 'older-relay', ...older } : { ok: false, why: `${decoded.error.code} ${decoded.error.message}` };
    }
    const packet = decoded.value;
    if (packet.type === PacketType.Welcome || packet.type === PacketType.Challenge) return { ok: true, packet, authentic: false };
    const authentic = this.#keys !== undefined && verifyDatagram(datagram, this.#keys.downstream);
    if (!authentic && packet.type !== PacketType.Error) return { ok: false, why: `an unauthenticated datagram of type ${packet.type}` };
    return { ok: true, packet, authentic };
  }

  /** Signs a datagram encoded with Flag.Auth for the current session; undefined without a session. */
  sign(datagram: Uint8Array): Uint8Array | undefined {
    return this.#keys ? signDatagram(datagram, this.#keys.upstream) : undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
