/**
 * The UDP relay: one socket, a membership table, and a reliable channel per member. It forwards every text and
 * image fragment to the other members of the sender's room as it arrives (cut-through: a large image is not held
 * until complete), announces joins and leaves, and evicts members that fall silent.
 *
 * Everything that arrives is hostile until checked: decoding never throws, a datagram naming a member is accepted
 * only from that member's address, and every failure is a counted drop, never an exception out of a callback.
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_LEGACY_TIMEOUT_MS,
  DEFAULT_MAX_IMAGE_BYTES,
  DEFAULT_MAX_MEMBERS_PER_ROOM,
  DEFAULT_MAX_ROOMS,
  DEFAULT_MAX_TEXT_BYTES,
  DEFAULT_MEMBER_TIMEOUT_MS,
  DEFAULT_PORT,
  DEFAULT_ROOM,
  HEADER_BYTES,
  MAX_FRAGMENT_BYTES,
  PROTOCOL_VERSION,
} from '../protocol/constants';
import { splitPayload } from '../protocol/fragment';
import { MessageIdSource } from '../protocol/ids';
import {
  formatLegacyImageNotice,
  formatLegacyJoin,
  formatLegacyLeave,
  formatLegacyText,
  MAX_LEGACY_TEXT_BYTES,
  parseLegacy,
} from '../protocol/legacy';
import { checkName, checkRoom } from '../protocol/names';
import { decodePayload, encodePayload, ImageFormat, PAYLOAD_OVERHEAD_BYTES, type MemberInfo, type MessagePayload } from '../protocol/payload';
import { ReliableChannel, type Priority, type ReliabilityTuning } from '../protocol/reliability';
import {
  CLIENT_NONCE_BYTES,
  controlHeader,
  decodePacket,
  encodeControl,
  hasMagic,
  peekVersion,
  truncateUtf8,
  encodeFragment,
  fragmentOf,
} from '../protocol/codec';
import {
  ErrorCode,
  ExtensionTag,
  Flag,
  LeaveReason,
  MemberFlag,
  PacketType,
  leaveReasonName,
  type JoinPacket,
  type MessageFragment as Fragment,
  type MessageType,
  type Packet,
} from '../protocol/types';
import { probeImage } from '../image/probe';
import { createHopKeyPair, deriveHopKeys, signDatagram, verifyDatagram, type HopKeys } from '../protocol/hop-auth';
import { verifyJoinProof } from '../protocol/room-crypto';
import type { UnacknowledgedItem } from '../protocol/reliability';
import { systemClock } from '../util/clock';
import { DeadlineTimer } from '../util/deadline-timer';
import { TypedEmitter } from '../util/typed-emitter';
import { addressKey, MembershipTable, type Member, type MembershipLimits } from './membership';
import { KeyedRateLimiter, TokenBucket } from './rate-limit';

export interface RelayLimits extends MembershipLimits {
  maxTextBytes: number;
  maxImageBytes: number;
  heartbeatIntervalMs: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxMembersPerRoom: DEFAULT_MAX_MEMBERS_PER_ROOM,
  maxRooms: DEFAULT_MAX_ROOMS,
  memberTimeoutMs: DEFAULT_MEMBER_TIMEOUT_MS,
  legacyTimeoutMs: DEFAULT_LEGACY_TIMEOUT_MS,
  maxTextBytes: DEFAULT_MAX_TEXT_BYTES,
  maxImageBytes: DEFAULT_MAX_IMAGE_BYTES,
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
};

/** Error replies to one address per second (and burst): enough for a confused client, useless for reflection. */
const ERROR_REPLIES_PER_SECOND = 4;
const ERROR_REPLY_BURST = 8;
/** Distinct addresses whose error-reply budget is remembered at once. */
const MAX_TRACKED_ADDRESSES = 10_000;
/**
 * Bytes waiting per member before it is dropped as unable to keep up: three maximal images plus chat. The
 * channel's own default (64 MiB) is per peer, which across a full room would be gigabytes.
 */
const MEMBER_QUEUE_BYTES = 32 * 1024 * 1024;
/** How long (ms) a half-forwarded message is remembered when its sender stops sending fragments. */
const FORWARD_STALE_MS = 30_000;
/** Messages one member may have half-forwarded at once; more is not a chat, it is an attack on memory. */
const MAX_INBOUND_PER_MEMBER = 64;
/**
 * A joined member must prove, with its first authenticated datagram, that it got the Welcome (so its address is
 * real) within this long (ms); until then it is not announced and nothing else is sent to it.
 */
const VALIDATION_TIMEOUT_MS = 5000;
/** Members joined but not yet validated, at most: a flood of forged joins cannot fill the rooms. */
const MAX_UNVALIDATED = 256;
/**
 * Datagrams per second (and burst) one source address may send before it has a session: joins and garbage. A
 * client needs a handful; a flood from one address is cut off here before it costs any decoding.
 */
const UNAUTHENTICATED_PER_ADDRESS_RATE = 50;
const UNAUTHENTICATED_PER_ADDRESS_BURST = 100;
/** All unauthenticated datagrams together, per second (and burst): bounds the work a spoofed flood can cause. */
const UNAUTHENTICATED_TOTAL_RATE = 5000;
const UNAUTHENTICATED_TOTAL_BURST = 10_000;
/**
 * Authenticated datagrams per second (and burst) per member: a 10 MB image in about a second, far above chat.
 * Beyond it datagrams are dropped unacknowledged, so the sender's reliability layer slows down and resends.
 */
const MEMBER_DATAGRAM_RATE = 10_000;
const MEMBER_DATAGRAM_BURST = 10_000;

export type RelayLogLevel = 'debug' | 'info' | 'warn';
export type RelayLogger = (level: RelayLogLevel, message: string) => void;

export interface RelayOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Let classic plaintext clients join room `general`. */
  acceptLegacy?: boolean;
  limits?: Partial<RelayLimits>;
  reliability?: Partial<ReliabilityTuning>;
  log?: RelayLogger;
}

export interface RelayMemberEvent {
  id: number;
  name: string;
  room: string;
  address: string;
  legacy: boolean;
}

export type RelayEvents = {
  join: [member: RelayMemberEvent];
  leave: [member: RelayMemberEvent, reason: string];
  members: [count: number];
  close: [];
};

/** Why datagrams were dropped, counted; the relay's health at a glance. */
export type RelayCounters = Record<string, number>;


interface Session {
  member: Member;
  /** The session's hop keys; undefined for legacy members, which speak plaintext. */
  keys: HopKeys | undefined;
  /** True once the member has sent an authenticated datagram (proving it received the Welcome). */
  validated: boolean;
  /** True once the room has been told this member joined. */
  announced: boolean;
  openedAt: number;
  /** Created on validation. Undefined for legacy members, which have no acknowledgements. */
  channel: ReliableChannel<Fragment> | undefined;
  /** What a previous session of the same member had not delivered: sent once this one is validated. */
  carriedOver: UnacknowledgedItem<Fragment>[];
  /** The Welcome datagram, kept to answer a repeated Join identically. */
  welcome: Uint8Array | undefined;
  /** Messages this member is sending, by message id, while their fragments pass through. */
  inbound: Map<bigint, InboundMessage>;
  /** Caps the datagrams this member makes the relay handle. */
  rate: TokenBucket;
}

function newSession(member: Member, keys: HopKeys | undefined, now: number): Session {
  return {
    member,
    keys,
    validated: keys === undefined,
    announced: false,
    openedAt: now,
    channel: undefined,
    carriedOver: [],
    welcome: undefined,
    inbound: new Map(),
    rate: new TokenBucket(MEMBER_DATAGRAM_RATE, MEMBER_DATAGRAM_BURST, now),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

function isLegacy(member: Member): boolean {
  return (member.flags & MemberFlag.Legacy) !== 0;
}

interface InboundMessage {
  type: MessageType;
  receivedBytes: number;
  rejected: boolean;
  lastActivity: number;
  /** Chunks kept only when a legacy member needs the whole text. */
  legacyChunks: Uint8Array[] | undefined;
}

export class Relay extends TypedEmitter<RelayEvents> {
  readonly #socket: dgram.Socket;
  readonly #limits: RelayLimits;
  readonly #acceptLegacy: boolean;
  readonly #tuning: Partial<ReliabilityTuning> | undefined;
  readonly #log: RelayLogger;
  readonly #membership: MembershipTable;
  readonly #sessions = new Map<number, Session>();
  readonly #ids = new MessageIdSource(randomInt(0, 2 ** 32));
  readonly #errorReplies = new KeyedRateLimiter(ERROR_REPLIES_PER_SECOND, ERROR_REPLY_BURST, MAX_TRACKED_ADDRESSES);
  readonly #unauthenticatedPerAddress = new KeyedRateLimiter(UNAUTHENTICATED_PER_ADDRESS_RATE, UNAUTHENTICATED_PER_ADDRESS_BURST, MAX_TRACKED_ADDRESSES);
  readonly #unauthenticatedTotal: TokenBucket;
  /** Each room's verifier: the public key its passphrase derives (sealed rooms), or null (open rooms). */
  readonly #roomKeys = new Map<string, Uint8Array | null>();
  readonly #timer: DeadlineTimer;
  readonly #counters: RelayCounters = {};
  readonly #now = (): number => performance.now();
  #closed = false;
  #socketClosed = false;
  #address: { host: string; port: number } = { host: '', port: 0 };

  private constructor(socket: dgram.Socket, options: RelayOptions) {
    super();
    this.#socket = socket;
    this.#limits = { ...DEFAULT_RELAY_LIMITS, ...options.limits };
    this.#acceptLegacy = options.acceptLegacy ?? false;
    this.#tuning = options.reliability;
    this.#log = options.log ?? (() => {});
    this.#membership = new MembershipTable(this.#limits, () => randomInt(1, 2 ** 32));
    this.#timer = new DeadlineTimer(this.#onTimer, systemClock);
    this.#unauthenticatedTotal = new TokenBucket(UNAUTHENTICATED_TOTAL_RATE, UNAUTHENTICATED_TOTAL_BURST, this.#now());
    socket.on('message', this.#socketOnMessage);
    socket.on('error', this.#socketOnError);
  }

  /** Binds the socket and resolves once the relay is listening. */
  static async start(options: RelayOptions = {}): Promise<Relay> {
    const host = options.host ?? '0.0.0.0';
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    const relay = new Relay(socket, options);
    await new Promise<void>((resolve, reject) => {
      const socketOnBindError = (error: Error): void => {
        socket.close(); // a socket that failed to bind must not stay open in a long-lived host
        reject(error);
      };
      socket.once('error', socketOnBindError);
      socket.bind(options.port ?? DEFAULT_PORT, host, () => {
        socket.off('error', socketOnBindError);
        resolve();
      });
    });
    const bound = socket.address();
    relay.#address = { host: bound.address, port: bound.port };
    return relay;
  }

  get address(): { host: string; port: number } {
    return { ...this.#address };
  }

  get memberCount(): number {
    return this.#membership.size;
  }

  get counters(): Readonly<RelayCounters> {
    return this.#counters;
  }

  /** Members per room, for status displays. */
  rooms(): Map<string, number> {
    return this.#membership.rooms();
  }

  /** Tells every member the relay is going away, then closes the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer.dispose();
    const goodbyes: Array<Promise<void>> = [];
    const sendGoodbye = (datagram: Uint8Array, member: Member): void => {
      goodbyes.push(new Promise((resolve) => this.#socket.send(datagram, member.port, member.host, () => resolve())));
    };
    for (const session of this.#sessions.values()) {
      const { member } = session;
      if (member.flags & MemberFlag.Legacy) {
        sendGoodbye(new TextEncoder().encode('* the relay is shutting down'), member);
        continue;
      }
      if (!session.keys) continue;
      // Signed, so nobody else can send members away; twice, as it is not acknowledged.
      const goodbye = this.#errorDatagram(ErrorCode.ShuttingDown, 'the relay is shutting down', new Uint8Array(CLIENT_NONCE_BYTES), session);
      sendGoodbye(goodbye, member);
      sendGoodbye(goodbye, member);
    }
    this.#sessions.clear();
    // Sends complete asynchronously; closing first would discard them.
    await Promise.all(goodbyes);
    this.#socketClosed = true;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    this.emit('close');
  }

  // ---- socket edge -------------------------------------------------------------------------------------------

  #socketOnMessage = (datagram: Buffer, remote: dgram.RemoteInfo): void => {
    if (this.#closed) return;
    try {
      this.#handleDatagram(datagram, remote.address, remote.port);
    } catch (error) {
      // A bug here must not take the relay down; it is counted and logged so it gets fixed.
      this.#count('internal-error');
      this.#log('warn', `internal error handling a datagram from ${addressKey(remote.address, remote.port)}: ${String(error)}`);
    }
  };

  #socketOnError = (error: Error): void => {
    this.#count('socket-error');
    this.#log('warn', `socket error: ${error.message}`);
  };

  #count(reason: string): void {
    this.#counters[reason] = (this.#counters[reason] ?? 0) + 1;
  }

  #sendRaw(datagram: Uint8Array | readonly Uint8Array[], host: string, port: number): void {
    if (this.#socketClosed) return;
    this.#socket.send(datagram as Uint8Array, port, host);
    this.#count('datagrams-out');
  }

  // ---- inbound -----------------------------------------------------------------------------------------------

  #handleDatagram(datagram: Uint8Array, host: string, port: number): void {
    const now = this.#now();
    this.#count('datagrams-in');
    const session = this.#authenticatedSession(datagram, host, port);
    if (!session) {
      // No session vouches for it: it pays from the small unauthenticated budgets before any decoding.
      if (!this.#unauthenticatedTotal.take(now) || !this.#unauthenticatedPerAddress.allow(addressKey(host, port), now)) {
        this.#count('drop-rate-limited');
        return;
      }
    } else if (!session.rate.take(now)) {
      this.#count('drop-member-rate-limited');
      return;
    }
    if (!hasMagic(datagram)) {
      if (this.#acceptLegacy) this.#handleLegacy(datagram, host, port, now);
      else this.#count('drop-not-udpchat');
      return;
    }
    const decoded = decodePacket(datagram);
    if (!decoded.ok) {
      this.#count(`drop-${decoded.error.code}`);
      if (decoded.error.code === 'UDPCHAT_ERR_UNSUPPORTED_VERSION') {
        this.#replyError(host, port, ErrorCode.UnsupportedVersion, `this relay speaks protocol version ${PROTOCOL_VERSION}, not ${peekVersion(datagram)}`, new Uint8Array(CLIENT_NONCE_BYTES), now);
      }
      return;
    }
    const packet = decoded.value;
    if (packet.type === PacketType.Join) {
      this.#handleJoin(packet, datagram, host, port, now);
      return;
    }
    if (!session) {
      const claimed = this.#sessions.get(packet.memberId);
      if (!claimed) {
        this.#count('drop-unknown-member');
        if (packet.type === PacketType.Heartbeat || packet.type === PacketType.Ack || (packet.flags & Flag.Reliable)) {
          this.#replyError(host, port, ErrorCode.UnknownSession, 'this relay does not know your session; join again', new Uint8Array(CLIENT_NONCE_BYTES), now);
        }
      } else {
        // A member's id from another address, or without that member's key: a forgery, or a stale client.
        this.#count(claimed.member.address !== addressKey(host, port) ? 'drop-wrong-address' : 'drop-bad-tag');
      }
      return;
    }
    this.#membership.touch(session.member, now);
    if (!session.validated) this.#validate(session, now);
    const channel = session.channel;
    if (!channel) return;
    this.#handleSessionPacket(session, channel, packet, now);
    this.#timer.wake(channel.nextWakeup());
  }

  /** The session a datagram authenticates as: its member id, from that member's address, with a valid tag. */
  #authenticatedSession(datagram: Uint8Array, host: string, port: number): Session | undefined {
    if (datagram.length < HEADER_BYTES || !hasMagic(datagram)) return undefined;
    const memberId = new DataView(datagram.buffer, datagram.byteOffset, HEADER_BYTES).getUint32(8);
    const session = memberId === 0 ? undefined : this.#sessions.get(memberId);
    if (!session?.keys || session.member.port !== port || session.member.host !== host) return undefined;
    if ((datagram[3] as number) === PacketType.Join) return undefined; // a join is judged by #handleJoin
    return verifyDatagram(datagram, session.keys.upstream) ? session : undefined;
  }

  /** The member's first authenticated datagram: it really is at its address. Now it gets the room. */
  #validate(session: Session, now: number): void {
    session.validated = true;
    this.#membership.confirm(session.member);
    const channel = this.#openChannel(session, now);
    session.channel = channel;
    const { member } = session;
    const visible = this.#membership.roomMembers(member.room).filter((other) => this.#sessions.get(other.id)?.validated);
    this.#sendTo(session, { type: PacketType.MemberList, members: visible.map(memberInfo) }, 'urgent', now);
    // Nothing queued for the member's previous session is lost: it goes out again on this one.
    for (const { item, priority } of session.carriedOver.splice(0)) this.#enqueue(session, item, priority, now);
    if (!session.announced) this.#announceJoin(member, now);
    session.announced = true;
  }

  #handleSessionPacket(session: Session, channel: ReliableChannel<Fragment>, packet: Packet, now: number): void {
    switch (packet.type) {
      case PacketType.Heartbeat:
        this.#sendControl(session, { ...controlHeader(PacketType.HeartbeatAck, session.member.id), body: { echo: packet.body.echo } });
        return;
      case PacketType.Ack:
        channel.receiveAck(packet.body, now);
        return;
      case PacketType.Join:
      case PacketType.Challenge:
      case PacketType.Welcome:
      case PacketType.HeartbeatAck:
      case PacketType.Error:
        this.#count('drop-wrong-direction');
        return;
      default:
        channel.receiveData(packet.seq, fragmentOf(packet), now);
    }
  }

  #handleJoin(packet: JoinPacket, datagram: Uint8Array, host: string, port: number, now: number): void {
    const { body } = packet;
    const refuse = (code: ErrorCode, message: string): void => {
      this.#count('join-refused');
      this.#replyError(host, port, code, message, body.clientNonce, now);
    };
    const name = checkName(body.name);
    if (!name.ok) return refuse(ErrorCode.NameInvalid, name.reason);
    const room = checkRoom(body.room);
    if (!room.ok) return refuse(ErrorCode.RoomInvalid, room.reason);
    const hopPublicKey = body.extensions.get(ExtensionTag.HopPublicKey);
    if (!hopPublicKey) return refuse(ErrorCode.Malformed, 'this relay needs a newer UDP Chat (the join has no hop key)');

    // A repeated join is answered exactly as before, before anything else is judged.
    const atAddress = this.#membership.getByAddress(host, port);
    if (atAddress?.clientNonce && sameBytes(atAddress.clientNonce, body.clientNonce)) {
      const session = this.#sessions.get(atAddress.id);
      if (session?.welcome) this.#sendRaw(session.welcome, host, port);
      return;
    }

    // Sealed rooms: the join must prove the room key, and it must be the key the room was opened with.
    const roomKey = body.extensions.get(ExtensionTag.RoomKey);
    const proof = body.extensions.get(ExtensionTag.RoomProof);
    const existing = this.#membership.roomMembers(room.value).length > 0 ? this.#roomKeys.get(room.value) : undefined;
    if (roomKey) {
      if (!proof || !verifyJoinProof(roomKey, proof, body.clientNonce, hopPublicKey, body.name, body.room)) {
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
      const owner = this.#sessions.get(packet.memberId);
      if (owner?.keys && verifyDatagram(datagram, owner.keys.upstream)) resumeOf = packet.memberId;
    }
    let unvalidated = 0;
    for (const session of this.#sessions.values()) if (!session.validated) unvalidated++;
    if (unvalidated >= MAX_UNVALIDATED) return refuse(ErrorCode.RelayFull, 'this relay is busy; try again shortly');

    const relayKeys = createHopKeyPair();
    const keys = deriveHopKeys(relayKeys.privateKey, hopPublicKey, body.clientNonce);
    if (!keys) return refuse(ErrorCode.Malformed, 'the join carries an unusable hop key');

    const outcome = this.#membership.join({ name: name.value, room: room.value, host, port, flags: 0, clientNonce: body.clientNonce, resumeOf }, now);
    switch (outcome.kind) {
      case 'refused':
        return refuse(outcome.code, outcome.message);
      case 'repeated': {
        const session = this.#sessions.get(outcome.member.id);
        if (session?.welcome) this.#sendRaw(session.welcome, host, port);
        return;
      }
      case 'joined':
      case 'resumed': {
        for (const displaced of outcome.displaced) this.#endSession(displaced, LeaveReason.Replaced, now);
        const member = outcome.member;
        if (!this.#roomKeys.has(member.room) || this.#membership.roomMembers(member.room).length === 1) {
          this.#roomKeys.set(member.room, roomKey ?? null);
        }
        const previous = this.#sessions.get(member.id);
        const session = newSession(member, keys, now);
        if (outcome.kind === 'resumed' && previous) {
          session.announced = previous.announced;
          session.carriedOver = previous.channel ? previous.channel.unacknowledged() : previous.carriedOver;
        }
        session.welcome = this.#signed(
          encodeControl({
            ...controlHeader(PacketType.Welcome, member.id),
            flags: Flag.Auth,
            body: {
              clientNonce: body.clientNonce,
              room: member.room,
              heartbeatIntervalMs: this.#limits.heartbeatIntervalMs,
              memberTimeoutMs: this.#limits.memberTimeoutMs,
              maxTextBytes: this.#limits.maxTextBytes,
              maxImageBytes: this.#limits.maxImageBytes,
              extensions: new Map([[ExtensionTag.HopPublicKey, relayKeys.publicKey]]),
            },
          }),
          session,
        );
        this.#sessions.set(member.id, session);
        this.#sendRaw(session.welcome, host, port);
        this.#timer.wake(now + VALIDATION_TIMEOUT_MS);
        this.#log('info', `${member.name} ${outcome.kind === 'joined' ? 'joined' : 'resumed'} room ${member.room} from ${member.address}${roomKey ? ' (encrypted)' : ''}`);
        return;
      }
    }
  }

  #openChannel(session: Session, now: number): ReliableChannel<Fragment> {
    const { member } = session;
    return new ReliableChannel<Fragment>(
      {
        transmit: (seq, fragment) => {
          const keys = session.keys;
          if (!keys) return;
          const datagram = encodeFragment(fragment, fragment.flags | Flag.Auth, fragment.memberId, seq);
          this.#sendRaw(signDatagram(datagram, keys.downstream), member.host, member.port);
        },
        transmitAck: (ack) => this.#sendControl(session, { ...controlHeader(PacketType.Ack, member.id), body: ack }),
        deliver: (fragment) => this.#onMemberFragment(session, fragment),
        tuning: { maxQueuedBytes: MEMBER_QUEUE_BYTES, ...this.#tuning },
      },
      now,
    );
  }

  /** A message fragment from a member, in the order the member sent it. */
  #onMemberFragment(session: Session, fragment: Fragment): void {
    if (this.#sessions.get(session.member.id) !== session) return;
    const now = this.#now();
    switch (fragment.type) {
      case PacketType.Text:
      case PacketType.Image:
        this.#forward(session, fragment, now);
        return;
      case PacketType.Leave:
        // Not from inside the channel's delivery callback: ending the session polls that same channel.
        queueMicrotask(() => {
          if (this.#sessions.get(session.member.id) === session) this.#endSession(session.member, LeaveReason.Quit, this.#now());
        });
        return;
      case PacketType.MemberList:
      case PacketType.MemberJoined:
      case PacketType.MemberLeft:
      case PacketType.Notice:
        this.#count('drop-wrong-direction');
        return;
    }
  }

  #forward(session: Session, fragment: Fragment, now: number): void {
    const sender = session.member;
    const sealedRoom = Boolean(this.#roomKeys.get(sender.room));
    if (sealedRoom !== ((fragment.flags & Flag.Encrypted) !== 0)) {
      // Plaintext in a sealed room (or the reverse) would reach members who cannot tell it from the real thing.
      this.#count(sealedRoom ? 'drop-plaintext-in-sealed-room' : 'drop-sealed-in-open-room');
      return;
    }
    let inbound = session.inbound.get(fragment.messageId);
    if (!inbound && session.inbound.size >= MAX_INBOUND_PER_MEMBER) {
      this.#count('drop-too-many-inbound');
      return;
    }
    if (!inbound) {
      const limit = (fragment.type === PacketType.Text ? this.#limits.maxTextBytes : this.#limits.maxImageBytes) + PAYLOAD_OVERHEAD_BYTES;
      // Every fragment but the last is full, so the first one tells the message's least possible size.
      const leastBytes = (fragment.fragmentCount - 1) * Math.min(fragment.chunk.length, MAX_FRAGMENT_BYTES) + 1;
      inbound = { type: fragment.type, receivedBytes: 0, rejected: leastBytes > limit, lastActivity: now, legacyChunks: undefined };
      session.inbound.set(fragment.messageId, inbound);
      if (inbound.rejected) this.#rejectTooLarge(session, fragment, now);
    }
    inbound.lastActivity = now;
    if (inbound.rejected) return this.#finishInbound(session, fragment);
    inbound.receivedBytes += fragment.chunk.length;
    const limit = (fragment.type === PacketType.Text ? this.#limits.maxTextBytes : this.#limits.maxImageBytes) + PAYLOAD_OVERHEAD_BYTES;
    if (inbound.receivedBytes > limit) {
      inbound.rejected = true;
      this.#rejectTooLarge(session, fragment, now);
      return this.#finishInbound(session, fragment);
    }
    const outgoing: Fragment = {
      type: fragment.type,
      flags: fragment.flags & (Flag.Reliable | Flag.Encrypted),
      memberId: sender.id,
      messageId: fragment.messageId,
      fragmentIndex: fragment.fragmentIndex,
      fragmentCount: fragment.fragmentCount,
      chunk: fragment.chunk,
    };
    const priority: Priority = fragment.type === PacketType.Image ? 'bulk' : 'normal';
    let legacyRecipients = false;
    for (const recipient of this.#membership.roomMembers(sender.room)) {
      if (recipient === sender) continue;
      if (isLegacy(recipient)) legacyRecipients = true;
      else {
        const target = this.#sessions.get(recipient.id);
        if (target) this.#enqueue(target, outgoing, priority, now);
      }
    }
    if (legacyRecipients) this.#forwardToLegacy(session, inbound, fragment);
    this.#finishInbound(session, fragment);
  }

  #finishInbound(session: Session, fragment: Fragment): void {
    if (fragment.fragmentIndex === fragment.fragmentCount - 1) session.inbound.delete(fragment.messageId);
  }

  #rejectTooLarge(session: Session, fragment: Fragment, now: number): void {
    this.#count('reject-too-large');
    const limit = fragment.type === PacketType.Text ? this.#limits.maxTextBytes : this.#limits.maxImageBytes;
    const what = fragment.type === PacketType.Text ? 'text' : 'image';
    this.#sendTo(session, { type: PacketType.Notice, code: ErrorCode.TooLarge, message: `the ${what} is larger than this relay's limit of ${limit} bytes` }, 'urgent', now, fragment.messageId);
  }

  /** Legacy clients get one plaintext datagram per text, and a notice for each image. */
  #forwardToLegacy(session: Session, inbound: InboundMessage, fragment: Fragment): void {
    const last = fragment.fragmentIndex === fragment.fragmentCount - 1;
    if (fragment.type === PacketType.Image) {
      if (last) this.#sendToLegacy(session.member, formatLegacyImageNotice(session.member.name));
      return;
    }
    if (fragment.flags & Flag.Encrypted) return; // sealed text cannot be shown to a plaintext client
    inbound.legacyChunks ??= [];
    inbound.legacyChunks.push(fragment.chunk);
    if (!last) return;
    const payload = decodePayload(PacketType.Text, Buffer.concat(inbound.legacyChunks));
    if (!payload.ok || payload.value.type !== PacketType.Text) {
      this.#count('drop-bad-payload-for-legacy');
      return;
    }
    this.#sendToLegacy(session.member, truncateUtf8(formatLegacyText(session.member.name, payload.value.text), MAX_LEGACY_TEXT_BYTES));
  }

  #sendToLegacy(from: Member, text: string): void {
    const bytes = new TextEncoder().encode(text);
    for (const recipient of this.#membership.roomMembers(from.room)) {
      if (recipient !== from && recipient.flags & MemberFlag.Legacy) this.#sendRaw(bytes, recipient.host, recipient.port);
    }
  }

  // ---- legacy clients ----------------------------------------------------------------------------------------

  #handleLegacy(datagram: Uint8Array, host: string, port: number, now: number): void {
    const known = this.#membership.getByAddress(host, port);
    if (known && !(known.flags & MemberFlag.Legacy)) {
      this.#count('drop-not-udpchat');
      return;
    }
    const parsed = parseLegacy(datagram, known?.name);
    if (!parsed) {
      this.#count('drop-legacy-unparsed');
      return;
    }
    let member = known;
    if (!member) {
      if (parsed.kind === 'leave') return;
      member = this.#joinLegacy(parsed.name, host, port, now);
      if (!member) return;
    }
    this.#membership.touch(member, now);
    switch (parsed.kind) {
      case 'join':
        return;
      case 'leave':
        this.#endSession(member, LeaveReason.Quit, now);
        return;
      case 'text': {
        const text = truncateUtf8(parsed.text, this.#limits.maxTextBytes);
        this.#broadcastFromLegacy(member, { type: PacketType.Text, sentAt: Date.now(), sender: member.name, text }, formatLegacyText(member.name, text), now);
        return;
      }
      case 'image': {
        const probe = probeImage(parsed.jpeg);
        if (!probe || probe.format !== 'jpeg') {
          this.#count('drop-legacy-bad-image');
          return;
        }
        const payload: MessagePayload = {
          type: PacketType.Image,
          sentAt: Date.now(),
          sender: member.name,
          width: probe.width,
          height: probe.height,
          format: ImageFormat.Jpeg,
          data: parsed.jpeg,
        };
        this.#broadcastFromLegacy(member, payload, formatLegacyImageNotice(member.name), now);
        return;
      }
    }
  }

  #joinLegacy(rawName: string, host: string, port: number, now: number): Member | undefined {
    const reply = (text: string): void => this.#sendRaw(new TextEncoder().encode(text), host, port);
    const name = checkName(rawName);
    if (!name.ok) {
      if (this.#errorReplies.allow(addressKey(host, port), now)) reply(`* cannot join: ${name.reason}`);
      return undefined;
    }
    if (this.#roomKeys.get(DEFAULT_ROOM) && this.#membership.roomMembers(DEFAULT_ROOM).length > 0) {
      if (this.#errorReplies.allow(addressKey(host, port), now)) reply(`* cannot join: room "${DEFAULT_ROOM}" is encrypted`);
      return undefined;
    }
    const outcome = this.#membership.join({ name: name.value, room: DEFAULT_ROOM, host, port, flags: MemberFlag.Legacy }, now);
    if (outcome.kind === 'refused') {
      if (this.#errorReplies.allow(addressKey(host, port), now)) reply(`* cannot join: ${outcome.message}`);
      return undefined;
    }
    if (outcome.kind !== 'joined') return undefined;
    for (const displaced of outcome.displaced) this.#endSession(displaced, LeaveReason.Replaced, now);
    if (this.#membership.roomMembers(DEFAULT_ROOM).length === 1) this.#roomKeys.set(DEFAULT_ROOM, null);
    const session = newSession(outcome.member, undefined, now);
    session.announced = true;
    this.#sessions.set(outcome.member.id, session);
    this.#announceJoin(outcome.member, now);
    this.#log('info', `${outcome.member.name} joined room ${DEFAULT_ROOM} from ${outcome.member.address} (legacy)`);
    return outcome.member;
  }

  #broadcastFromLegacy(from: Member, payload: MessagePayload, legacyText: string, now: number): void {
    const fragments = this.#fragmentsOf(payload, from.id, this.#ids.next());
    const priority: Priority = payload.type === PacketType.Image ? 'bulk' : 'normal';
    for (const recipient of this.#membership.roomMembers(from.room)) {
      if (recipient === from) continue;
      const target = this.#sessions.get(recipient.id);
      if (target && !isLegacy(recipient)) for (const fragment of fragments) this.#enqueue(target, fragment, priority, now);
    }
    this.#sendToLegacy(from, legacyText);
  }

  // ---- outbound ----------------------------------------------------------------------------------------------

  #fragmentsOf(payload: MessagePayload, memberId: number, messageId: bigint): Fragment[] {
    const chunks = splitPayload(encodePayload(payload), MAX_FRAGMENT_BYTES);
    return chunks.map((chunk, index) => ({
      type: payload.type,
      flags: Flag.Reliable,
      memberId,
      messageId,
      fragmentIndex: index,
      fragmentCount: chunks.length,
      chunk,
    }));
  }

  /** Sends a relay-originated message to one member. */
  #sendTo(session: Session, payload: MessagePayload, priority: Priority, now: number, messageId = this.#ids.next()): void {
    for (const fragment of this.#fragmentsOf(payload, 0, messageId)) this.#enqueue(session, fragment, priority, now);
  }

  /**
   * Queues a fragment for a member. A member between sessions (resumed, not yet validated) keeps it for the new
   * session; a member not yet announced gets nothing from before it was (its member list starts its view).
   */
  #enqueue(session: Session, fragment: Fragment, priority: Priority, now: number): void {
    const channel = session.channel;
    if (!channel) {
      if (session.announced && session.keys) session.carriedOver.push({ ticket: 0, item: fragment, priority });
      return;
    }
    const ticket = channel.send(fragment, HEADER_BYTES + fragment.chunk.length, priority, now);
    if (ticket === undefined) {
      // Its queue is full: the member cannot keep up. Dropping it keeps everyone else's delivery going.
      this.#count('evict-queue-full');
      this.#log('warn', `${session.member.name} cannot keep up (send queue full); removing it`);
      this.#endSession(session.member, LeaveReason.Kicked, now);
      return;
    }
    this.#timer.wake(channel.nextWakeup());
  }

  #announceJoin(member: Member, now: number): void {
    for (const other of this.#membership.roomMembers(member.room)) {
      if (other === member) continue;
      const target = this.#sessions.get(other.id);
      if (!target) continue;
      if (isLegacy(other)) this.#sendRaw(new TextEncoder().encode(formatLegacyJoin(member.name)), other.host, other.port);
      else this.#sendTo(target, { type: PacketType.MemberJoined, member: memberInfo(member) }, 'urgent', now);
    }
    this.emit('join', memberEvent(member));
    this.emit('members', this.#membership.size);
  }

  /** Ends a member's session, removes it from the table (if still there) and tells the rest of its room. */
  #endSession(member: Member, reason: LeaveReason, now: number): void {
    const session = this.#sessions.get(member.id);
    this.#membership.leave(member.id);
    if (!session) return;
    // Flush what the channel owes the leaver (e.g. the ack of its Leave) before forgetting it.
    session.channel?.poll(now + 60_000);
    this.#sessions.delete(member.id);
    if (this.#membership.roomMembers(member.room).length === 0) this.#roomKeys.delete(member.room);
    if (!session.announced) return; // never validated: nobody was told it came
    for (const other of this.#membership.roomMembers(member.room)) {
      if (other === member) continue;
      const target = this.#sessions.get(other.id);
      if (!target) continue;
      if (isLegacy(other)) this.#sendRaw(new TextEncoder().encode(formatLegacyLeave(member.name)), other.host, other.port);
      else this.#sendTo(target, { type: PacketType.MemberLeft, member: memberInfo(member), reason }, 'urgent', now);
    }
    this.#log('info', `${member.name} left room ${member.room} (${leaveReasonName(reason)})`);
    this.emit('leave', memberEvent(member), leaveReasonName(reason));
    this.emit('members', this.#membership.size);
  }

  #replyError(host: string, port: number, code: ErrorCode, message: string, clientNonce: Uint8Array, now: number): void {
    if (!this.#errorReplies.allow(addressKey(host, port), now)) {
      this.#count('error-reply-suppressed');
      return;
    }
    this.#sendRaw(this.#errorDatagram(code, message, clientNonce), host, port);
  }

  /** An Error datagram; signed with the member's key when it goes to a member with a session. */
  #errorDatagram(code: ErrorCode, message: string, clientNonce: Uint8Array, session?: Session): Uint8Array {
    if (!session?.keys) return encodeControl({ ...controlHeader(PacketType.Error, 0), body: { code, clientNonce, message } });
    const datagram = encodeControl({ ...controlHeader(PacketType.Error, session.member.id), flags: Flag.Auth, body: { code, clientNonce, message } });
    return this.#signed(datagram, session);
  }

  /** Fills the tag of a datagram encoded with Flag.Auth, with the member's relay-to-client key. */
  #signed(datagram: Uint8Array, session: Session): Uint8Array {
    return session.keys ? signDatagram(datagram, session.keys.downstream) : datagram;
  }

  /** Sends a control datagram to a member, signed. */
  #sendControl(session: Session, packet: Parameters<typeof encodeControl>[0]): void {
    const datagram = this.#signed(encodeControl({ ...packet, flags: Flag.Auth }), session);
    this.#sendRaw(datagram, session.member.host, session.member.port);
  }

  // ---- timers ------------------------------------------------------------------------------------------------

  #onTimer = (): void => {
    if (this.#closed) return;
    try {
      const now = this.#now();
      for (const member of this.#membership.expire(now)) this.#endSession(member, LeaveReason.Timeout, now);
      for (const session of [...this.#sessions.values()]) {
        if (!session.validated && now - session.openedAt >= VALIDATION_TIMEOUT_MS) {
          this.#count('join-never-validated');
          this.#endSession(session.member, LeaveReason.Timeout, now);
        }
      }
      let next = this.#membership.nextExpiry();
      for (const session of this.#sessions.values()) {
        if (!session.validated) next = earliest(next, session.openedAt + VALIDATION_TIMEOUT_MS);
        for (const [messageId, inbound] of session.inbound) {
          if (now - inbound.lastActivity >= FORWARD_STALE_MS) session.inbound.delete(messageId);
        }
        if (session.inbound.size > 0) next = earliest(next, now + FORWARD_STALE_MS);
        if (!session.channel) continue;
        const due = session.channel.nextWakeup();
        if (due !== undefined && due <= now) session.channel.poll(now);
        next = earliest(next, session.channel.nextWakeup());
      }
      this.#timer.reset(next);
    } catch (error) {
      this.#count('internal-error');
      this.#log('warn', `internal error in the relay timer: ${String(error)}`);
      this.#timer.reset(this.#now() + 100);
    }
  };
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function memberInfo(member: Member): MemberInfo {
  return { id: member.id, name: member.name, flags: member.flags };
}

function memberEvent(member: Member): RelayMemberEvent {
  return { id: member.id, name: member.name, room: member.room, address: member.address, legacy: (member.flags & MemberFlag.Legacy) !== 0 };
}
