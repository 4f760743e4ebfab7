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
import { decodePayload, encodePayload, ImageFormat, type MemberInfo, type MessagePayload } from '../protocol/payload';
import { ReliableChannel, type Priority, type ReliabilityTuning } from '../protocol/reliability';
import {
  CLIENT_NONCE_BYTES,
  controlHeader,
  decodePacket,
  encodeControl,
  hasMagic,
  patchSequence,
  peekVersion,
  truncateUtf8,
  writeHeader,
} from '../protocol/codec';
import {
  ErrorCode,
  Flag,
  LeaveReason,
  MemberFlag,
  PacketType,
  leaveReasonName,
  type FragmentPacket,
  type JoinPacket,
  type MessageType,
  type Packet,
} from '../protocol/types';
import { probeImage } from '../image/probe';
import { DeadlineTimer } from '../util/deadline-timer';
import { TypedEmitter } from '../util/typed-emitter';
import { addressKey, MembershipTable, type Member, type MembershipLimits } from './membership';
import { KeyedRateLimiter } from './rate-limit';

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

/**
 * Bytes a text or image payload carries besides the text or image itself: timestamp (8), sender (1 + 32),
 * image dimensions and format (9), and a sealed envelope's nonce and tag (28), rounded up.
 */
const PAYLOAD_OVERHEAD_BYTES = 128;
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

/** A message fragment as the reliable channel carries it; the sequence number is added when it is sent. */
export interface Fragment {
  type: MessageType;
  flags: number;
  memberId: number;
  messageId: bigint;
  fragmentIndex: number;
  fragmentCount: number;
  chunk: Uint8Array;
}

interface Session {
  member: Member;
  /** Undefined for legacy members, which speak plaintext without acknowledgements. */
  channel: ReliableChannel<Fragment> | undefined;
  /** The Welcome datagram, kept to answer a repeated Join identically. */
  welcome: Uint8Array | undefined;
  /** Messages this member is sending, by message id, while their fragments pass through. */
  inbound: Map<bigint, InboundMessage>;
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
    this.#timer = new DeadlineTimer(this.#onTimer, this.#now);
    socket.on('message', this.#socketOnMessage);
    socket.on('error', this.#socketOnError);
  }

  /** Binds the socket and resolves once the relay is listening. */
  static async start(options: RelayOptions = {}): Promise<Relay> {
    const host = options.host ?? '0.0.0.0';
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    const relay = new Relay(socket, options);
    await new Promise<void>((resolve, reject) => {
      const socketOnBindError = (error: Error): void => reject(error);
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
      const goodbye = this.#errorDatagram(ErrorCode.ShuttingDown, 'the relay is shutting down', new Uint8Array(CLIENT_NONCE_BYTES));
      // Twice: it is not acknowledged, and members reconnect sooner when they hear it.
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
      this.#handleJoin(packet, host, port, now);
      return;
    }
    const session = this.#sessions.get(packet.memberId);
    if (!session || !session.channel) {
      this.#count('drop-unknown-member');
      if (packet.type === PacketType.Heartbeat || packet.type === PacketType.Ack || (packet.flags & Flag.Reliable)) {
        this.#replyError(host, port, ErrorCode.UnknownSession, 'this relay does not know your session; join again', new Uint8Array(CLIENT_NONCE_BYTES), now);
      }
      return;
    }
    if (session.member.address !== addressKey(host, port)) {
      this.#count('drop-wrong-address');
      return;
    }
    this.#membership.touch(session.member, now);
    this.#handleSessionPacket(session, session.channel, packet, now);
    this.#timer.wake(session.channel.nextWakeup());
  }

  #handleSessionPacket(session: Session, channel: ReliableChannel<Fragment>, packet: Exclude<Packet, JoinPacket>, now: number): void {
    switch (packet.type) {
      case PacketType.Heartbeat:
        this.#sendRaw(
          encodeControl({ ...controlHeader(PacketType.HeartbeatAck, session.member.id), body: { echo: packet.body.echo } }),
          session.member.host,
          session.member.port,
        );
        return;
      case PacketType.Ack:
        channel.receiveAck(packet.body, now);
        return;
      case PacketType.Challenge:
      case PacketType.Welcome:
      case PacketType.HeartbeatAck:
      case PacketType.Error:
        this.#count('drop-wrong-direction');
        return;
      default: {
        const fragment: Fragment = {
          type: packet.type,
          flags: packet.flags,
          memberId: packet.memberId,
          messageId: packet.messageId,
          fragmentIndex: packet.fragmentIndex,
          fragmentCount: packet.fragmentCount,
          chunk: packet.chunk,
        };
        channel.receiveData(packet.seq, fragment, now);
      }
    }
  }

  #handleJoin(packet: JoinPacket, host: string, port: number, now: number): void {
    const { body } = packet;
    const name = checkName(body.name);
    if (!name.ok) {
      this.#replyError(host, port, ErrorCode.NameInvalid, name.reason, body.clientNonce, now);
      return;
    }
    const room = checkRoom(body.room);
    if (!room.ok) {
      this.#replyError(host, port, ErrorCode.RoomInvalid, room.reason, body.clientNonce, now);
      return;
    }
    const outcome = this.#membership.join(
      { name: name.value, room: room.value, host, port, flags: 0, clientNonce: body.clientNonce, resumeToken: body.resumeToken },
      now,
    );
    switch (outcome.kind) {
      case 'refused':
        this.#count('join-refused');
        this.#replyError(host, port, outcome.code, outcome.message, body.clientNonce, now);
        return;
      case 'repeated': {
        const session = this.#sessions.get(outcome.member.id);
        if (session?.welcome) this.#sendRaw(session.welcome, host, port);
        return;
      }
      case 'joined':
      case 'resumed': {
        for (const displaced of outcome.displaced) this.#endSession(displaced, LeaveReason.Replaced, now);
        const member = outcome.member;
        const previous = this.#sessions.get(member.id);
        const session: Session = { member, channel: undefined, welcome: undefined, inbound: new Map() };
        session.channel = this.#openChannel(session, now);
        session.welcome = encodeControl({
          ...controlHeader(PacketType.Welcome, member.id),
          body: {
            clientNonce: body.clientNonce,
            room: member.room,
            heartbeatIntervalMs: this.#limits.heartbeatIntervalMs,
            memberTimeoutMs: this.#limits.memberTimeoutMs,
            maxTextBytes: this.#limits.maxTextBytes,
            maxImageBytes: this.#limits.maxImageBytes,
            extensions: new Map(),
          },
        });
        this.#sessions.set(member.id, session);
        this.#sendRaw(session.welcome, host, port);
        this.#sendTo(session, { type: PacketType.MemberList, members: this.#membership.roomMembers(member.room).map(memberInfo) }, 'urgent', now);
        if (outcome.kind === 'resumed' && previous?.channel) {
          // Nothing queued for the member's old session is lost: it goes out again on the new one.
          for (const { item, priority } of previous.channel.unacknowledged()) this.#enqueue(session, item, priority, now);
        }
        if (outcome.kind === 'joined') this.#announceJoin(member, now);
        this.#log('info', `${member.name} ${outcome.kind === 'joined' ? 'joined' : 'resumed'} room ${member.room} from ${member.address}`);
        return;
      }
    }
  }

  #openChannel(session: Session, now: number): ReliableChannel<Fragment> {
    const { member } = session;
    return new ReliableChannel<Fragment>(
      {
        transmit: (seq, fragment) => {
          const head = Buffer.allocUnsafe(HEADER_BYTES);
          writeHeader(head, 0, { ...fragment, seq: 0 }, fragment.chunk.length);
          patchSequence(head, seq);
          this.#sendRaw([head, fragment.chunk], member.host, member.port);
        },
        transmitAck: (ack) => {
          this.#sendRaw(encodeControl({ ...controlHeader(PacketType.Ack, member.id), body: ack }), member.host, member.port);
        },
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
    let inbound = session.inbound.get(fragment.messageId);
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
    const outgoing: Fragment = { ...fragment, memberId: sender.id, flags: fragment.flags & (Flag.Reliable | Flag.Encrypted) };
    const priority: Priority = fragment.type === PacketType.Image ? 'bulk' : 'normal';
    let legacyRecipients = false;
    for (const recipient of this.#membership.roomMembers(sender.room)) {
      if (recipient === sender) continue;
      const target = this.#sessions.get(recipient.id);
      if (!target) continue;
      if (target.channel) this.#enqueue(target, outgoing, priority, now);
      else legacyRecipients = true;
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
    const outcome = this.#membership.join({ name: name.value, room: DEFAULT_ROOM, host, port, flags: MemberFlag.Legacy }, now);
    if (outcome.kind === 'refused') {
      if (this.#errorReplies.allow(addressKey(host, port), now)) reply(`* cannot join: ${outcome.message}`);
      return undefined;
    }
    if (outcome.kind !== 'joined') return undefined;
    for (const displaced of outcome.displaced) this.#endSession(displaced, LeaveReason.Replaced, now);
    const session: Session = { member: outcome.member, channel: undefined, welcome: undefined, inbound: new Map() };
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
      if (target?.channel) for (const fragment of fragments) this.#enqueue(target, fragment, priority, now);
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

  #enqueue(session: Session, fragment: Fragment, priority: Priority, now: number): void {
    const channel = session.channel;
    if (!channel) return;
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
      if (target.channel) this.#sendTo(target, { type: PacketType.MemberJoined, member: memberInfo(member) }, 'urgent', now);
      else this.#sendRaw(new TextEncoder().encode(formatLegacyJoin(member.name)), other.host, other.port);
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
    for (const other of this.#membership.roomMembers(member.room)) {
      if (other === member) continue;
      const target = this.#sessions.get(other.id);
      if (!target) continue;
      if (target.channel) this.#sendTo(target, { type: PacketType.MemberLeft, member: memberInfo(member), reason }, 'urgent', now);
      else this.#sendRaw(new TextEncoder().encode(formatLegacyLeave(member.name)), other.host, other.port);
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

  #errorDatagram(code: ErrorCode, message: string, clientNonce: Uint8Array): Uint8Array {
    return encodeControl({ ...controlHeader(PacketType.Error, 0), body: { code, clientNonce, message } });
  }

  // ---- timers ------------------------------------------------------------------------------------------------

  #onTimer = (): void => {
    if (this.#closed) return;
    try {
      const now = this.#now();
      for (const member of this.#membership.expire(now)) this.#endSession(member, LeaveReason.Timeout, now);
      let next = this.#membership.nextExpiry();
      for (const session of this.#sessions.values()) {
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
