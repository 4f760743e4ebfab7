/**
 * Admission: whether a Join (or a legacy client's first datagram) gets a session, judged before anything is
 * stored. Pure: the membership and session tables are read, never changed, here; the core applies the verdict.
 */
import { DEFAULT_ROOM } from '../protocol/constants';
import { controlHeader, encodeControl } from '../protocol/codec';
import { signDatagram, verifyDatagram, type HopKeys } from '../protocol/hop-auth';
import { checkName, checkRoom } from '../protocol/names';
import { signWelcome, type RelayIdentity, type RoomSalts } from '../protocol/relay-identity';
import { verifyJoinProof } from '../protocol/room-crypto';
import { ErrorCode, ExtensionTag, Flag, PacketType, type JoinPacket } from '../protocol/types';
import type { CookieJar } from './cookie';
import type { MembershipTable } from './membership';
import { MAX_UNVALIDATED, type RelayLimits } from './limits';
import type { SessionTable } from './sessions';

export type JoinVerdict =
  | { kind: 'refuse'; code: ErrorCode; message: string }
  /** The same join again (its Welcome was lost): send the kept Welcome, if any, and change nothing. */
  | { kind: 'repeat'; welcome: Uint8Array | undefined }
  | {
      kind: 'admit';
      name: string;
      room: string;
      hopPublicKey: Uint8Array;
      /** The sealed room's verifier the join proved, or undefined for an open room. */
      roomKey: Uint8Array | undefined;
      /** Sealed rooms: the member key the room proof covers, announced with the member. */
      memberKey: Uint8Array | undefined;
      /** The member whose session the join proved it owns (signed with that session's key). */
      resumeOf: number | undefined;
    };

/** Why a join into an empty room with history is refused when the store cannot say how the room is pinned. */
const UNREADABLE_PIN = 'this relay cannot read the room\'s history right now; try again shortly';

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/**
 * The verifier a room keeps while nobody is in it (its stored history's pin, see HistoryStore.roomVerifier): a key,
 * null (open), undefined (none: anything goes), or 'unreadable' (the store could not say: nobody gets in).
 */
export type StoredVerifier = (room: string) => Uint8Array | null | undefined | 'unreadable';

/** Each room's verifier: the public key its passphrase derives (sealed rooms), or null (open rooms). */
export class RoomKeys {
  readonly #keys = new Map<string, Uint8Array | null>();
  readonly #stored: StoredVerifier;

  constructor(stored: StoredVerifier = () => undefined) {
    this.#stored = stored;
  }

  /** The verifier of an occupied room (a key, or null: open), else the one its stored history keeps. */
  of(room: string, membership: MembershipTable): ReturnType<StoredVerifier> {
    return membership.roomMembers(room).length > 0 ? this.#keys.get(room) : this.#stored(room);
  }

  /** The verifier the room's members joined with (undefined: nobody is bound to it). */
  bound(room: string): Uint8Array | null | undefined {
    return this.#keys.get(room);
  }

  /** True when messages in `room` must be sealed. */
  sealed(room: string): boolean {
    return Boolean(this.#keys.get(room));
  }

  /** The first member of a room decides whether it is sealed, and with which key. */
  bindIfFirst(room: string, key: Uint8Array | null, membership: MembershipTable): void {
    if (!this.#keys.has(room) || membership.roomMembers(room).length === 1) this.#keys.set(room, key);
  }

  /** A room nobody is in forgets its key, so the next first member may open it afresh. */
  forgetIfEmpty(room: string, membership: MembershipTable): void {
    if (membership.roomMembers(room).length === 0) this.#keys.delete(room);
  }
}

export interface AdmissionContext {
  membership: MembershipTable;
  sessions: SessionTable;
  roomKeys: RoomKeys;
}

/** Judges a decoded Join: `datagram` is its bytes, for the resumption tag. */
export function judgeJoin(packet: JoinPacket, datagram: Uint8Array, host: string, port: number, context: AdmissionContext): JoinVerdict {
  const { body } = packet;
  const refuse = (code: ErrorCode, message: string): JoinVerdict => ({ kind: 'refuse', code, message });
  const name = checkName(body.name);
  if (!name.ok) return refuse(ErrorCode.NameInvalid, name.reason);
  const room = checkRoom(body.room);
  if (!room.ok) return refuse(ErrorCode.RoomInvalid, room.reason);
  const hopPublicKey = body.extensions.get(ExtensionTag.HopPublicKey);
  if (!hopPublicKey) return refuse(ErrorCode.Malformed, 'this relay needs a newer UDP Chat (the join has no hop key)');

  // A repeated join is answered exactly as before, before anything else is judged.
  const atAddress = context.membership.getByAddress(host, port);
  if (atAddress?.clientNonce && sameBytes(atAddress.clientNonce, body.clientNonce)) {
    return { kind: 'repeat', welcome: context.sessions.get(atAddress.id)?.welcome };
  }

  // Sealed rooms: the join must prove the room key, and it must be the key the room was opened with.
  const roomKey = body.extensions.get(ExtensionTag.RoomKey);
  const proof = body.extensions.get(ExtensionTag.RoomProof);
  const memberKey = roomKey ? body.extensions.get(ExtensionTag.MemberKey) : undefined;
  const existing = context.roomKeys.of(room.value, context.membership);
  if (existing === 'unreadable') return refuse(ErrorCode.RelayFull, UNREADABLE_PIN);
  if (roomKey) {
    if (!memberKey) return refuse(ErrorCode.Malformed, 'this relay needs a newer UDP Chat (the join has no member key)');
    if (!proof || !verifyJoinProof(roomKey, proof, body.clientNonce, hopPublicKey, memberKey, body.name, body.room)) {
      return refuse(ErrorCode.Forbidden, 'the join does not prove the room key');
    }
    if (existing === null) return refuse(ErrorCode.Forbidden, `room "${room.value}" is open (not encrypted): join it without a passphrase`);
    if (existing && !sameBytes(existing, roomKey)) return refuse(ErrorCode.WrongPassphrase, `wrong passphrase for room "${room.value}"`);
  } else if (existing) {
    return refuse(ErrorCode.PassphraseRequired, `room "${room.value}" is encrypted: join it with its passphrase`);
  }

  // A join signed with a member's current key proves it owns that session: it may take it over.
  let resumeOf: number | undefined;
  if (packet.memberId !== 0 && packet.flags & Flag.Auth) {
    const owner = context.sessions.get(packet.memberId);
    if (owner?.keys && verifyDatagram(datagram, owner.keys.upstream)) resumeOf = packet.memberId;
  }
  if (context.sessions.unvalidatedCount() >= MAX_UNVALIDATED) return refuse(ErrorCode.RelayFull, 'this relay is busy; try again shortly');
  return { kind: 'admit', name: name.value, room: room.value, hopPublicKey, roomKey, memberKey, resumeOf };
}

export type LegacyJoinVerdict = { kind: 'refuse'; message: string } | { kind: 'admit'; name: string };

/** Judges a legacy client's first datagram: it may only join the default room, and only while that is open. */
export function judgeLegacyJoin(rawName: string, context: AdmissionContext): LegacyJoinVerdict {
  const name = checkName(rawName);
  if (!name.ok) return { kind: 'refuse', message: name.reason };
  const existing = context.roomKeys.of(DEFAULT_ROOM, context.membership);
  if (existing === 'unreadable') return { kind: 'refuse', message: UNREADABLE_PIN };
  if (existing) return { kind: 'refuse', message: `room "${DEFAULT_ROOM}" is encrypted` };
  return { kind: 'admit', name: name.value };
}

export type AddressVerdict =
  | { kind: 'validated' }
  /** Send `datagram` (a Challenge); `reason` is the cookie's fault, if it had one. */
  | { kind: 'challenge'; datagram: Uint8Array; reason: 'expired' | 'forged' | undefined }
  /** The Challenge would be larger than the Join: nothing is sent (an unproven address gains no bytes). */
  | { kind: 'too-small' };

/**
 * Address validation (QUIC's Retry, DTLS's HelloVerifyRequest): a Join must echo a cookie only its address could
 * have received before anything else is judged. Without one it gets a Challenge (the Join's nonce, the relay's
 * salt for the Join's room and a cookie) and costs the relay two HMACs: no session, no unvalidated slot, no X25519
 * or Ed25519, no room verifier pinned, nobody displaced. The Challenge is never larger than the Join (73 bytes
 * against at least 75 by hand, 100 from a client): RFC 9000 §8 allows 3×, we allow 1×.
 */
export function judgeJoinAddress(
  packet: JoinPacket,
  datagram: Uint8Array,
  host: string,
  port: number,
  cookies: CookieJar,
  salts: RoomSalts,
  now: number,
): AddressVerdict {
  const { clientNonce, room } = packet.body;
  const cookie = packet.body.extensions.get(ExtensionTag.Cookie);
  const verdict = cookie ? cookies.check(cookie, host, port, clientNonce, now) : undefined;
  if (verdict === 'valid') return { kind: 'validated' };
  const body = { clientNonce, roomSalt: salts.of(room), cookie: cookies.issue(host, port, clientNonce, now) };
  const challenge = encodeControl({ ...controlHeader(PacketType.Challenge, 0), body });
  if (challenge.length > datagram.length) return { kind: 'too-small' };
  return { kind: 'challenge', datagram: challenge, reason: verdict };
}

/**
 * The Welcome that answers an admitted join, signed with the new session's relay-to-client key; the relay's
 * identity key signs its essentials (nonce, hop key, member id, and `roomSalt`: the salt its Challenge gave for the
 * Join's room), so every join and rejoin proves the relay, and the salt the client derived its keys with.
 */
export function welcomeDatagram(
  memberId: number,
  clientNonce: Uint8Array,
  room: string,
  limits: RelayLimits,
  relayPublicKey: Uint8Array,
  keys: HopKeys,
  identity: RelayIdentity,
  roomSalt: Uint8Array,
): Uint8Array {
  const identityProof = signWelcome(identity, { clientNonce, hopPublicKey: relayPublicKey, memberId, roomSalt });
  const datagram = encodeControl({
    ...controlHeader(PacketType.Welcome, memberId),
    flags: Flag.Auth,
    body: {
      clientNonce,
      room,
      heartbeatIntervalMs: limits.heartbeatIntervalMs,
      memberTimeoutMs: limits.memberTimeoutMs,
      maxTextBytes: limits.maxTextBytes,
      maxImageBytes: limits.maxImageBytes,
      extensions: new Map([
        [ExtensionTag.HopPublicKey, relayPublicKey],
        [ExtensionTag.RelayIdentity, identity.publicKey],
        [ExtensionTag.RelayIdentityProof, identityProof],
      ]),
    },
  });
  return signDatagram(datagram, keys.downstream);
}
