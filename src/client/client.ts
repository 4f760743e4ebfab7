/**
 * The chat client the CLI and the extension share: joins a room on a relay, sends text and images, and reports
 * everything it receives as typed events. It keeps what the user sends until the relay has it, notices a relay
 * that went away, and rejoins by itself (same name, same process) when it is back.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  CLIENT_NONCE_BYTES,
  controlHeader,
  decodePacket,
  encodeControl,
  hasMagic,
  encodeFragment,
  fragmentOf,
} from '../protocol/codec';
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_IMAGE_BYTES,
  DEFAULT_MAX_TEXT_BYTES,
  DEFAULT_ROOM,
  HEADER_BYTES,
  MAX_FRAGMENT_BYTES,
} from '../protocol/constants';
import { Reassembler, splitPayload, type PartialInfo } from '../protocol/fragment';
import { formatMessageId, MessageIdSource } from '../protocol/ids';
import { checkName, checkRoom } from '../protocol/names';
import { decodePayload, encodePayload, PAYLOAD_OVERHEAD_BYTES, type ImageFormat, type MemberInfo, type MessagePayload } from '../protocol/payload';
import { ReliableChannel, type ChannelStats, type Priority, type ReliabilityTuning } from '../protocol/reliability';
import {
  ErrorCode,
  ExtensionTag,
  Flag,
  LeaveReason,
  MemberFlag,
  PacketType,
  errorCodeName,
  leaveReasonName,
  type ErrorBody,
  type MessageFragment as Fragment,
  type MessageType,
  type WelcomeBody,
} from '../protocol/types';
import { createHopKeyPair, deriveHopKeys, signDatagram, verifyDatagram, type HopKeyPair, type HopKeys } from '../protocol/hop-auth';
import { ContentOpener, ContentSealer, deriveRoomKeys, signJoinProof } from '../protocol/room-crypto';
import { nameKey } from '../protocol/names';
import { systemClock } from '../util/clock';
import { DeadlineTimer } from '../util/deadline-timer';
import { TypedEmitter } from '../util/typed-emitter';

import type {
  ChatClientEvents,
  ChatClientOptions,
  ChatMember,
  ChatProblem,
  ClientState,
  DeliveryState,
  DeliveryUpdate,
  ReadyInfo,
  TransportStats,
} from './types';

export * from './types';


interface Outgoing {
  id: bigint;
  type: typeof PacketType.Text | typeof PacketType.Image;
  fragments: Fragment[];
  /** Tickets of the current channel still waiting for the relay's acknowledgement. */
  waiting: Set<number>;
  acknowledged: number;
  state: DeliveryState;
  /** When the current attempt started (ms, monotonic): failure is declared relative to it. */
  attemptStartedAt: number;
}

const DEFAULT_JOIN_RETRY_MS = 250; // first retry soon: a lost Join on a LAN is the common case
const DEFAULT_MAX_JOIN_RETRY_MS = 2000; // a relay that comes back is found within this
const DEFAULT_DELIVERY_TIMEOUT_MS = 60_000; // a minute of trying before the user is told and offered a retry
const DEFAULT_INCOMPLETE_AFTER_MS = 30_000; // a sender that vanished mid-image
/** Message ids remembered to drop duplicates (e.g. a message resent after the relay restarted). */
const REMEMBERED_MESSAGE_IDS = 10_000;
/**
 * After a rejoin that finds members of before missing (the relay restarted and they are not back yet), what the
 * user typed meanwhile waits for them this long (ms) at most: sent at once it would reach an empty room. A member
 * still running hears of the new relay within a heartbeat interval (2 s) and is back within its join backoff (2 s).
 */
const REJOIN_HOLD_MS = 5000;
/** How long leave() waits (ms) for the relay to acknowledge the Leave before closing anyway. */
const LEAVE_ACK_WAIT_MS = 1000;
/** Incoming progress is reported at most this many times per message. */
const PROGRESS_STEPS = 20;
/**
 * After an unauthenticated "unknown session" (anyone can forge one), how long (ms) the client waits for any
 * authenticated answer to the heartbeat it sends at once, before it believes the relay restarted and rejoins.
 */
const UNKNOWN_SESSION_CONFIRM_MS = 300;
/** Heartbeat intervals of silence after which the client rejoins: a relay that restarted is noticed sooner. */
const RELAY_SILENCE_HEARTBEATS = 3;
/** Heartbeats per interval once one went unanswered (see #sendHeartbeat). */
const SUSPECT_PROBES_PER_INTERVAL = 4;
/** Join refusals that clear up by themselves after a reconnection (the client keeps trying). */
const RETRYABLE_ON_REJOIN: ReadonlySet<number> = new Set([ErrorCode.NameTaken, ErrorCode.RoomFull, ErrorCode.RelayFull, ErrorCode.RateLimited]);
/** "Wrong passphrase" is reported at most once per this many ms, however many messages fail to open. */
const WRONG_KEY_REPORT_INTERVAL_MS = 10_000;

export class ChatClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ChatClient extends TypedEmitter<ChatClientEvents> {
  readonly #options: ChatClientOptions;
  readonly #name: string;
  readonly #room: string;
  readonly #log: NonNullable<ChatClientOptions['log']>;
  readonly #now = (): number => performance.now();
  readonly #ids = new MessageIdSource(randomInt(0, 2 ** 32));
  readonly #timer: DeadlineTimer;
  readonly #members = new Map<number, ChatMember>();
  readonly #outbox = new Map<bigint, Outgoing>();
  readonly #ticketOwners = new Map<number, Outgoing>();
  readonly #seen = new Set<bigint>();
  readonly #incomingSteps = new Map<string, number>();
  #socket: dgram.Socket | undefined;
  #relayAddress = '';
  #state: ClientState = 'connecting';
  #memberId = 0;
  #channel: ReliableChannel<Fragment> | undefined;
  #reassembler: Reassembler;
  #welcome: WelcomeBody | undefined;
  #joinNonce: Uint8Array = randomBytes(CLIENT_NONCE_BYTES);
  #joinRetryMs: number;
  #nextJoinAt = 0;
  #nextHeartbeatAt = 0;
  #lastHeardAt = 0;
  #heartbeatRttMs: number | undefined;
  #readyOnce = false;
  /** After a rejoin: names of earlier members not back yet. The outbox waits for them until #holdUntil. */
  readonly #awaitedMembers = new Set<string>();
  #holdUntil: number | undefined;
  #leaving: { resolve: () => void } | undefined;
  #leaveTicket: number | undefined;
  /** This join attempt's key pair; the Welcome's key completes the exchange. */
  #hopKeyPair: HopKeyPair = createHopKeyPair();
  /** The current session's keys (kept while rejoining: a join signed with them takes the old session over). */
  #hopKeys: HopKeys | undefined;
  #sealer: ContentSealer | undefined;
  #opener: ContentOpener | undefined;
  #proofKeys: Awaited<ReturnType<typeof deriveRoomKeys>> | undefined;
  /** When an unauthenticated "unknown session" arrived, until an authenticated datagram disproves it. */
  #unknownSessionAt: number | undefined;
  #lastWrongKeyReportAt = -Infinity;
  /** A refused rejoin is reported once per reconnection, not at every retry. */
  #rejoinRefusalReported = false;

  constructor(options: ChatClientOptions) {
    super();
    const name = checkName(options.name);
    if (!name.ok) throw new ChatClientError('name-invalid', name.reason);
    const room = checkRoom(options.room ?? DEFAULT_ROOM);
    if (!room.ok) throw new ChatClientError('room-invalid', room.reason);
    this.#options = options;
    this.#name = name.value;
    this.#room = room.value;
    this.#log = options.log ?? (() => {});
    this.#joinRetryMs = options.joinRetryMs ?? DEFAULT_JOIN_RETRY_MS;
    this.#timer = new DeadlineTimer(this.#onTimer, systemClock);
    this.#reassembler = this.#newReassembler();
  }

  get name(): string {
    return this.#name;
  }

  get room(): string {
    return this.#room;
  }

  get state(): ClientState {
    return this.#state;
  }

  get memberId(): number {
    return this.#memberId;
  }

  /** The local UDP port (0 before connect). */
  get localPort(): number {
    return this.#socket ? this.#socket.address().port : 0;
  }

  /** True when the room is sealed with a passphrase (end-to-end encrypted). */
  get encrypted(): boolean {
    return this.#sealer !== undefined;
  }

  get members(): ChatMember[] {
    return [...this.#members.values()];
  }

  /** Largest text the relay accepts, in UTF-8 bytes. */
  get maxTextBytes(): number {
    return this.#welcome?.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES;
  }

  /** Largest (compressed) image the relay accepts, in bytes. */
  get maxImageBytes(): number {
    return this.#welcome?.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  }

  stats(): TransportStats | undefined {
    return this.#channel ? { ...this.#channel.stats, heartbeatRttMs: this.#heartbeatRttMs } : undefined;
  }

  /**
   * Opens the socket and starts joining. Resolves on the first `ready`; rejects with a ChatClientError when the
   * relay refuses the join (name taken, room full, ...). While the relay does not answer it keeps trying.
   */
  async connect(): Promise<ReadyInfo> {
    if (this.#socket) throw new ChatClientError('already-connected', 'connect() was called twice');
    if (this.#options.passphrase) {
      // scrypt runs on the thread pool; the keys never leave this process.
      const keys = await deriveRoomKeys(this.#options.passphrase, this.#room);
      this.#proofKeys = keys;
      this.#sealer = new ContentSealer(keys);
      this.#opener = new ContentOpener(keys);
    }
    // IPv4 first: "localhost" may resolve to ::1 while the relay listens on 0.0.0.0.
    const resolved = await lookup(this.#options.relayHost, { family: 4 }).catch(() => lookup(this.#options.relayHost));
    this.#relayAddress = resolved.address;
    const socket = dgram.createSocket({ type: resolved.family === 6 ? 'udp6' : 'udp4', recvBufferSize: 1 << 20 });
    this.#socket = socket;
    socket.on('message', this.#socketOnMessage);
    socket.on('error', this.#socketOnError);
    await new Promise<void>((resolve, reject) => {
      const socketOnBindError = (error: Error): void => {
        socket.close();
        this.#socket = undefined;
        reject(error);
      };
      socket.once('error', socketOnBindError);
      socket.bind(0, this.#options.bindAddress, () => {
        socket.off('error', socketOnBindError);
        resolve();
      });
    });
    return new Promise<ReadyInfo>((resolve, reject) => {
      const clientOnReady = (info: ReadyInfo): void => {
        this.off('error', clientOnError);
        resolve(info);
      };
      const clientOnError = (problem: ChatProblem): void => {
        if (!problem.fatal) return;
        this.off('ready', clientOnReady);
        reject(new ChatClientError(problem.code, problem.message));
      };
      this.once('ready', clientOnReady);
      this.on('error', clientOnError);
      this.#startJoining('connecting', 'joining the relay');
    });
  }

  /** Queues a text; returns its message id. Throws ChatClientError when it is empty or too large. */
  sendText(text: string): string {
    if (text.length === 0) throw new ChatClientError('empty', 'there is nothing to send');
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.maxTextBytes) {
      throw new ChatClientError('too-large', `the message is ${bytes} bytes; the relay accepts at most ${this.maxTextBytes}`);
    }
    return this.#queue({ type: PacketType.Text, sentAt: Date.now(), sender: this.#name, text });
  }

  /** Queues an already compressed image; returns its message id. */
  sendImage(image: { data: Uint8Array; width: number; height: number; format: ImageFormat }): string {
    if (image.data.length === 0) throw new ChatClientError('empty', 'the image is empty');
    if (image.data.length > this.maxImageBytes) {
      throw new ChatClientError(
        'too-large',
        `the compressed image is ${image.data.length} bytes; the relay accepts at most ${this.maxImageBytes}`,
      );
    }
    return this.#queue({ type: PacketType.Image, sentAt: Date.now(), sender: this.#name, ...image });
  }

  /** Sends a failed message again (same id, so nobody sees it twice). */
  retry(id: string): boolean {
    const outgoing = [...this.#outbox.values()].find((entry) => formatMessageId(entry.id) === id);
    if (!outgoing || outgoing.state !== 'failed') return false;
    outgoing.attemptStartedAt = this.#now();
    const channel = this.#holdUntil === undefined ? this.#channel : undefined;
    this.#setDelivery(outgoing, channel ? 'sending' : 'queued');
    if (channel) this.#transmitOutgoing(outgoing, channel);
    this.#schedule();
    return true;
  }

  /** Messages not yet delivered to the relay, oldest first. */
  pending(): DeliveryUpdate[] {
    return [...this.#outbox.values()].map((entry) => this.#deliveryOf(entry));
  }

  /** Leaves the room (telling the relay) and closes the socket. */
  async leave(): Promise<void> {
    if (this.#state === 'closed') return;
    const channel = this.#channel;
    if (channel && this.#state === 'connected') {
      const waited = new Promise<void>((resolve) => {
        this.#leaving = { resolve };
        setTimeout(resolve, LEAVE_ACK_WAIT_MS).unref();
      });
      const payload = encodePayload({ type: PacketType.Leave, reason: LeaveReason.Quit });
      const fragment = this.#fragmentsOf(PacketType.Leave, payload, this.#ids.next())[0] as Fragment;
      const ticket = channel.send(fragment, HEADER_BYTES + fragment.chunk.length, 'urgent', this.#now());
      if (ticket !== undefined) {
        this.#leaveTicket = ticket;
        this.#schedule();
        await waited;
      }
    }
    this.close();
  }

  /** Closes at once, without telling the relay (it will notice the silence). */
  close(): void {
    if (this.#state === 'closed') return;
    this.#setState('closed', 'closed');
    this.#timer.dispose();
    this.#channel = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      socket.off('message', this.#socketOnMessage);
      socket.close();
    }
    this.#leaving?.resolve();
  }

  // ---- sending -----------------------------------------------------------------------------------------------

  #queue(payload: Extract<MessagePayload, { type: typeof PacketType.Text | typeof PacketType.Image }>): string {
    if (this.#state === 'closed') throw new ChatClientError('closed', 'the chat client is closed');
    const id = this.#ids.next();
    const plain = encodePayload(payload);
    // Sealed once: a resend after a rejoin carries the same sealed bytes, which receivers recognise as a repeat.
    const sealed = this.#sealer ? this.#sealer.seal(payload.type, id, plain) : plain;
    const outgoing: Outgoing = {
      id,
      type: payload.type,
      fragments: this.#fragmentsOf(payload.type, sealed, id, this.#sealer ? Flag.Encrypted : 0),
      waiting: new Set(),
      acknowledged: 0,
      state: 'queued',
      attemptStartedAt: this.#now(),
    };
    this.#outbox.set(id, outgoing);
    if (this.#channel && this.#state === 'connected' && this.#holdUntil === undefined) {
      outgoing.state = 'sending';
      this.#transmitOutgoing(outgoing, this.#channel);
    }
    this.emit('delivery', this.#deliveryOf(outgoing));
    this.#schedule();
    return formatMessageId(id);
  }

  #fragmentsOf(type: MessageType, payload: Uint8Array, messageId: bigint, extraFlags = 0): Fragment[] {
    const chunks = splitPayload(payload, MAX_FRAGMENT_BYTES);
    return chunks.map((chunk, index) => ({
      type,
      flags: Flag.Reliable | extraFlags,
      memberId: 0, // filled in at transmission: the member id changes when the relay restarts
      messageId,
      fragmentIndex: index,
      fragmentCount: chunks.length,
      chunk,
    }));
  }

  #transmitOutgoing(outgoing: Outgoing, channel: ReliableChannel<Fragment>): void {
    const priority: Priority = outgoing.type === PacketType.Image ? 'bulk' : 'normal';
    outgoing.waiting.clear();
    outgoing.acknowledged = 0;
    for (const fragment of outgoing.fragments) {
      const ticket = channel.send(fragment, HEADER_BYTES + fragment.chunk.length, priority, this.#now());
      if (ticket === undefined) {
        this.#setDelivery(outgoing, 'failed', 'too much is waiting to be sent; try again shortly');
        return;
      }
      outgoing.waiting.add(ticket);
      this.#ticketOwners.set(ticket, outgoing);
    }
  }

  #channelOnAcknowledged(ticket: number): void {
    if (ticket === this.#leaveTicket) {
      this.#leaving?.resolve();
      return;
    }
    const outgoing = this.#ticketOwners.get(ticket);
    if (!outgoing) return;
    this.#ticketOwners.delete(ticket);
    if (!outgoing.waiting.delete(ticket)) return;
    outgoing.acknowledged++;
    if (outgoing.waiting.size === 0) {
      this.#outbox.delete(outgoing.id);
      this.#setDelivery(outgoing, 'delivered');
    } else if (outgoing.type === PacketType.Image) {
      const steps = Math.floor((outgoing.acknowledged * PROGRESS_STEPS) / outgoing.fragments.length);
      const before = Math.floor(((outgoing.acknowledged - 1) * PROGRESS_STEPS) / outgoing.fragments.length);
      if (steps !== before) this.emit('delivery', this.#deliveryOf(outgoing));
    }
  }

  #setDelivery(outgoing: Outgoing, state: DeliveryState, reason?: string): void {
    outgoing.state = state;
    this.emit('delivery', this.#deliveryOf(outgoing, reason));
  }

  #deliveryOf(outgoing: Outgoing, reason?: string): DeliveryUpdate {
    const update: DeliveryUpdate = {
      id: formatMessageId(outgoing.id),
      state: outgoing.state,
      progress: outgoing.state === 'delivered' ? 1 : outgoing.acknowledged / outgoing.fragments.length,
    };
    if (reason) update.reason = reason;
    return update;
  }

  // ---- connection --------------------------------------------------------------------------------------------

  #startJoining(state: 'connecting' | 'reconnecting', detail: string): void {
    this.#channel = undefined;
    this.#ticketOwners.clear();
    for (const outgoing of this.#outbox.values()) {
      outgoing.waiting.clear();
      outgoing.acknowledged = 0;
      if (outgoing.state === 'sending') outgoing.state = 'queued';
    }
    this.#awaitedMembers.clear();
    this.#holdUntil = undefined;
    this.#joinNonce = randomBytes(CLIENT_NONCE_BYTES);
    this.#hopKeyPair = createHopKeyPair();
    this.#unknownSessionAt = undefined;
    this.#rejoinRefusalReported = false;
    this.#joinRetryMs = this.#options.joinRetryMs ?? DEFAULT_JOIN_RETRY_MS;
    this.#setState(state, detail);
    this.#sendJoin(this.#now());
    this.#schedule();
  }

  #sendJoin(now: number): void {
    const extensions = new Map<number, Uint8Array>([[ExtensionTag.HopPublicKey, this.#hopKeyPair.publicKey]]);
    if (this.#proofKeys) {
      extensions.set(ExtensionTag.RoomKey, this.#proofKeys.verifyKey);
      extensions.set(ExtensionTag.RoomProof, signJoinProof(this.#proofKeys, this.#joinNonce, this.#hopKeyPair.publicKey, this.#name));
    }
    const body = { clientNonce: this.#joinNonce, name: this.#name, room: this.#room, extensions };
    // Signed with the previous session's key, the join may take that session over (same member, nothing lost).
    const previous = this.#hopKeys;
    const datagram = previous
      ? signDatagram(encodeControl({ ...controlHeader(PacketType.Join, this.#memberId), flags: Flag.Auth, body }), previous.upstream)
      : encodeControl({ ...controlHeader(PacketType.Join, 0), body });
    this.#send(datagram);
    this.#nextJoinAt = now + this.#joinRetryMs;
    this.#joinRetryMs = Math.min(this.#joinRetryMs * 2, this.#options.maxJoinRetryMs ?? DEFAULT_MAX_JOIN_RETRY_MS);
  }

  #onWelcome(datagram: Uint8Array, memberId: number, body: WelcomeBody, now: number): void {
    // A channel exists once a welcome was taken; a repeated welcome for the same join changes nothing.
    if (this.#channel || !sameBytes(body.clientNonce, this.#joinNonce)) return;
    const relayKey = body.extensions.get(ExtensionTag.HopPublicKey);
    const keys = relayKey ? deriveHopKeys(this.#hopKeyPair.privateKey, relayKey, this.#joinNonce) : undefined;
    if (!keys || !verifyDatagram(datagram, keys.downstream)) {
      this.#log('warn', 'dropped a Welcome that is not signed with the key it announces');
      return;
    }
    this.#hopKeys = keys;
    this.#welcome = body;
    this.#memberId = memberId;
    this.#lastHeardAt = now;
    this.#nextHeartbeatAt = now + body.heartbeatIntervalMs;
    // The reassembler is kept: a resumed session continues the messages that were half received.
    this.#channel = new ReliableChannel<Fragment>(
      {
        transmit: (seq, fragment) => this.#transmitFragment(seq, fragment),
        transmitAck: (ack) => this.#sendControl({ ...controlHeader(PacketType.Ack, this.#memberId), body: ack }),
        deliver: (fragment) => this.#onFragment(fragment),
        acknowledged: (ticket) => this.#channelOnAcknowledged(ticket),
        tuning: this.#options.reliability,
      },
      now,
    );
    this.#log('info', `joined ${this.#room} as ${this.#name} (member ${memberId})`);
    // The relay admits us to the room once we prove we got the Welcome: an authenticated datagram, at once.
    this.#sendHeartbeat(now);
    this.#schedule();
  }

  #transmitFragment(seq: number, fragment: Fragment): void {
    const keys = this.#hopKeys;
    if (!keys) return;
    this.#send(signDatagram(encodeFragment(fragment, fragment.flags | Flag.Auth, this.#memberId, seq), keys.upstream));
  }

  /** Encodes, signs and sends a control datagram of the current session. */
  #sendControl(packet: Parameters<typeof encodeControl>[0]): void {
    const keys = this.#hopKeys;
    if (!keys) return;
    this.#send(signDatagram(encodeControl({ ...packet, flags: Flag.Auth }), keys.upstream));
  }

  #sendHeartbeat(now: number): void {
    this.#sendControl({ ...controlHeader(PacketType.Heartbeat, this.#memberId), body: { echo: Math.floor(now) >>> 0 } });
    const interval = this.#welcome?.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    // Unanswered for a whole interval: probe more often, so a few lost datagrams on a lossy link do not add up to
    // a false "the relay stopped answering", while a relay that really went away is still noticed in time.
    const quiet = now - this.#lastHeardAt > interval;
    this.#nextHeartbeatAt = now + (quiet ? interval / SUSPECT_PROBES_PER_INTERVAL : interval);
  }

  /** Silence (ms) after which the relay is taken to be gone. */
  #relayTimeoutMs(welcome: WelcomeBody): number {
    return this.#options.relayTimeoutMs ?? welcome.heartbeatIntervalMs * RELAY_SILENCE_HEARTBEATS;
  }

  /** The member list completes a join: the client is ready, and what waited in the outbox goes out. */
  #onMemberList(members: MemberInfo[]): void {
    const previous = new Map(this.#members);
    this.#members.clear();
    for (const info of members) this.#members.set(info.id, toMember(info));
    const rejoined = this.#readyOnce;
    if (rejoined) {
      // Tell what changed while we were away, by name: ids change when the relay restarts.
      const before = new Set([...previous.values()].map((m) => m.name));
      const after = new Set([...this.#members.values()].map((m) => m.name));
      for (const member of previous.values()) if (!after.has(member.name)) this.emit('memberLeft', member, 'timeout');
      for (const member of this.#members.values()) if (!before.has(member.name)) this.emit('memberJoined', member);
      for (const name of before) if (!after.has(name)) this.#awaitedMembers.add(name);
    }
    this.#readyOnce = true;
    this.#setState('connected', `in room ${this.#room}`);
    if (this.#awaitedMembers.size > 0) this.#holdUntil = this.#now() + REJOIN_HOLD_MS;
    else this.#flushOutbox();
    this.emit('ready', { name: this.#name, room: this.#room, memberId: this.#memberId, members: this.members, rejoined });
  }

  /** Sends what waited in the outbox, oldest first, on the current channel. */
  #flushOutbox(): void {
    this.#awaitedMembers.clear();
    this.#holdUntil = undefined;
    const channel = this.#channel;
    if (!channel) return;
    for (const outgoing of this.#outbox.values()) {
      if (outgoing.state === 'failed') continue;
      outgoing.state = 'sending';
      this.#transmitOutgoing(outgoing, channel);
    }
  }

  // ---- receiving ---------------------------------------------------------------------------------------------

  #socketOnMessage = (datagram: Buffer, remote: dgram.RemoteInfo): void => {
    if (this.#state === 'closed') return;
    try {
      this.#handleDatagram(datagram, remote);
    } catch (error) {
      this.#log('warn', `internal error handling a datagram: ${String(error)}`);
    }
  };

  #socketOnError = (error: Error): void => {
    this.#log('warn', `socket error: ${error.message}`);
  };

  #handleDatagram(datagram: Buffer, remote: dgram.RemoteInfo): void {
    // Only the relay speaks to us; anything else is noise or an attempt to inject.
    if (remote.address !== this.#relayAddress || remote.port !== this.#options.relayPort) return;
    if (!hasMagic(datagram)) return;
    const decoded = decodePacket(datagram);
    if (!decoded.ok) {
      this.#log('debug', `dropped a datagram from the relay: ${decoded.error.code} ${decoded.error.message}`);
      return;
    }
    const packet = decoded.value;
    const now = this.#now();
    if (packet.type === PacketType.Welcome) {
      this.#onWelcome(datagram, packet.memberId, packet.body, now);
      this.#schedule();
      return;
    }
    // Everything else of a session must carry the session's tag; only an Error may come unsigned (below).
    // (The header's member id names a message's origin, not us: the key is what binds it to our session.)
    const authentic = this.#hopKeys !== undefined && verifyDatagram(datagram, this.#hopKeys.downstream);
    if (!authentic && packet.type !== PacketType.Error) {
      this.#log('debug', `dropped an unauthenticated datagram of type ${packet.type}`);
      return;
    }
    if (authentic) this.#unknownSessionAt = undefined;
    switch (packet.type) {
      case PacketType.Error:
        this.#onError(packet.body, authentic, now);
        break;
      case PacketType.HeartbeatAck:
        if (packet.memberId !== this.#memberId) return;
        this.#lastHeardAt = now;
        this.#heartbeatRttMs = ((Math.floor(now) >>> 0) - packet.body.echo) >>> 0;
        break;
      case PacketType.Ack:
        if (packet.memberId !== this.#memberId || !this.#channel) return;
        this.#lastHeardAt = now;
        this.#channel.receiveAck(packet.body, now);
        break;
      case PacketType.Join:
      case PacketType.Challenge:
      case PacketType.Heartbeat:
        return;
      default:
        if (!this.#channel) return;
        this.#lastHeardAt = now;
        this.#channel.receiveData(packet.seq, fragmentOf(packet), now);
    }
    this.#schedule();
  }

  #onError(body: ErrorBody, authentic: boolean, now: number): void {
    const forThisJoin = sameBytes(body.clientNonce, this.#joinNonce);
    const inSession = this.#channel !== undefined && this.#state !== 'closed';
    switch (body.code) {
      case ErrorCode.ShuttingDown:
        // Only the relay we have a session with may send us away.
        if (authentic && inSession) this.#startJoining('reconnecting', 'the relay shut down');
        return;
      case ErrorCode.UnknownSession:
        // A relay that restarted cannot sign this, so anyone could send it: ask the relay before believing it.
        if (inSession && this.#unknownSessionAt === undefined) {
          this.#unknownSessionAt = now;
          this.#sendHeartbeat(now);
        }
        return;
      case ErrorCode.RateLimited:
        if (authentic) this.emit('error', { code: errorCodeName(body.code), message: body.message, fatal: false });
        return;
      default:
        // Join refusals answer our join's random nonce: only someone who saw the join can forge one.
        if (!forThisJoin || this.#state === 'connected') return;
        if (this.#readyOnce && RETRYABLE_ON_REJOIN.has(body.code)) {
          // Back from a blip, our old session may still hold the name (or the room may be full for a moment):
          // keep trying until it times out rather than give up on a chat the user is in.
          if (!this.#rejoinRefusalReported) {
            this.#rejoinRefusalReported = true;
            this.emit('error', { code: errorCodeName(body.code), message: `${body.message}; still trying to rejoin`, fatal: false });
          }
          return;
        }
        // The relay refused to let us in: nothing retrying can fix (name taken, room full, bad version, ...).
        this.emit('error', { code: errorCodeName(body.code), message: body.message, fatal: true });
        this.close();
    }
  }

  #onFragment(fragment: Fragment): void {
    const now = this.#now();
    const result = this.#reassembler.add({ ...fragment, origin: fragment.memberId }, now);
    switch (result.status) {
      case 'duplicate':
        return;
      case 'rejected':
        if (result.info) this.#reportIncomplete(result.info, result.reason === 'too-large' ? 'it is larger than allowed' : 'it could not be put together');
        return;
      case 'partial':
        this.#reportIncoming(result.info);
        return;
      case 'complete':
        this.#incomingSteps.delete(`${fragment.memberId}:${fragment.messageId}`);
        this.#onMessage(fragment, result.payload);
    }
  }

  #reportIncoming(info: PartialInfo): void {
    if (info.type !== PacketType.Image && info.type !== PacketType.Text) return;
    const key = `${info.origin}:${info.messageId}`;
    const step = Math.floor((info.receivedFragments * PROGRESS_STEPS) / info.fragmentCount);
    if (this.#incomingSteps.get(key) === step) return;
    this.#incomingSteps.set(key, step);
    this.emit('incoming', {
      id: formatMessageId(info.messageId),
      from: this.#members.get(info.origin)?.name ?? 'someone',
      fromId: info.origin,
      kind: info.type === PacketType.Image ? 'image' : 'text',
      receivedFragments: info.receivedFragments,
      totalFragments: info.fragmentCount,
      receivedBytes: info.receivedBytes,
    });
  }

  #reportIncomplete(info: PartialInfo, why: string): void {
    this.#incomingSteps.delete(`${info.origin}:${info.messageId}`);
    const from = this.#members.get(info.origin)?.name ?? 'a member who left';
    const what = info.type === PacketType.Image ? 'an image' : 'a message';
    this.emit('error', {
      code: 'incomplete-message',
      message: `${what} from ${from} was dropped: ${why} (${info.receivedFragments} of ${info.fragmentCount} parts arrived)`,
      fatal: false,
      messageId: formatMessageId(info.messageId),
    });
  }

  #onMessage(fragment: Fragment, sealedOrPlain: Uint8Array): void {
    let bytes = sealedOrPlain;
    if (fragment.type === PacketType.Text || fragment.type === PacketType.Image) {
      const opened = this.#open(fragment, sealedOrPlain);
      if (!opened) return;
      bytes = opened;
    }
    const decoded = decodePayload(fragment.type, bytes);
    if (!decoded.ok) {
      this.#log('warn', `dropped a malformed ${fragment.type} payload: ${decoded.error.message}`);
      return;
    }
    const payload = decoded.value;
    switch (payload.type) {
      case PacketType.MemberList:
        this.#onMemberList(payload.members);
        return;
      case PacketType.MemberJoined: {
        if (this.#members.has(payload.member.id) || payload.member.id === this.#memberId) return;
        const member = toMember(payload.member);
        this.#members.set(member.id, member);
        this.emit('memberJoined', member);
        if (this.#awaitedMembers.delete(member.name) && this.#awaitedMembers.size === 0) this.#flushOutbox();
        return;
      }
      case PacketType.MemberLeft: {
        const member = this.#members.get(payload.member.id);
        if (!member) return;
        this.#members.delete(member.id);
        for (const info of this.#reassembler.dropOrigin(member.id)) this.#reportIncomplete(info, `${member.name} left`);
        this.emit('memberLeft', member, leaveReasonName(payload.reason));
        return;
      }
      case PacketType.Notice: {
        const id = fragment.messageId;
        const outgoing = this.#outbox.get(id);
        if (outgoing) {
          this.#outbox.delete(id);
          this.#setDelivery(outgoing, 'failed', payload.message);
        }
        this.emit('error', { code: errorCodeName(payload.code), message: payload.message, fatal: false, messageId: formatMessageId(id) });
        return;
      }
      case PacketType.Text:
      case PacketType.Image: {
        if (this.#seen.has(fragment.messageId)) return;
        this.#remember(fragment.messageId);
        const origin = this.#members.get(fragment.memberId);
        if (origin && !origin.legacy && nameKey(origin.name) !== nameKey(payload.sender)) {
          // The (sealed) sender name and the relay's binding disagree: someone is impersonating someone.
          this.#log('warn', `dropped a message from member ${fragment.memberId} (${origin.name}) that claims to be from ${payload.sender}`);
          return;
        }
        const from = origin?.name ?? payload.sender;
        const common = {
          id: formatMessageId(fragment.messageId),
          from,
          fromId: fragment.memberId,
          sentAt: payload.sentAt,
          encrypted: (fragment.flags & Flag.Encrypted) !== 0,
          legacy: origin?.legacy ?? false,
        };
        if (payload.type === PacketType.Text) this.emit('message', { ...common, text: payload.text });
        else this.emit('image', { ...common, data: payload.data, width: payload.width, height: payload.height, format: payload.format });
        return;
      }
      case PacketType.Leave:
        return;
    }
  }

  /** The plaintext of a text or image payload: opened when sealed; undefined (and reported) when refused. */
  #open(fragment: Fragment, payload: Uint8Array): Uint8Array | undefined {
    const sealed = (fragment.flags & Flag.Encrypted) !== 0;
    if (!this.#opener) {
      if (sealed) this.#reportUnreadable(`a message in room "${this.#room}" is end-to-end encrypted; join with its passphrase to read it`);
      return sealed ? undefined : payload;
    }
    if (!sealed) {
      this.#log('warn', 'dropped an unencrypted message in an encrypted room');
      return undefined;
    }
    const opened = this.#opener.open(fragment.type, fragment.messageId, payload);
    if (opened.ok) return opened.plaintext;
    if (opened.reason === 'replayed') this.#log('debug', 'dropped a replayed sealed message');
    else this.#reportUnreadable(`wrong passphrase for room "${this.#room}": a message could not be decrypted`);
    return undefined;
  }

  #reportUnreadable(message: string): void {
    const now = this.#now();
    if (now - this.#lastWrongKeyReportAt < WRONG_KEY_REPORT_INTERVAL_MS) return;
    this.#lastWrongKeyReportAt = now;
    this.emit('error', { code: 'wrong-passphrase', message, fatal: false });
  }

  #remember(id: bigint): void {
    this.#seen.add(id);
    if (this.#seen.size > REMEMBERED_MESSAGE_IDS) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }

  // ---- timers ------------------------------------------------------------------------------------------------

  #onTimer = (): void => {
    if (this.#state === 'closed') return;
    try {
      this.#tick(this.#now());
    } catch (error) {
      this.#log('warn', `internal error in the client timer: ${String(error)}`);
    }
    this.#schedule();
  };

  #tick(now: number): void {
    const channel = this.#channel;
    if (!channel || !this.#welcome) {
      if (now >= this.#nextJoinAt) this.#sendJoin(now);
    } else {
      if (now - this.#lastHeardAt >= this.#relayTimeoutMs(this.#welcome)) {
        this.#startJoining('reconnecting', 'the relay stopped answering');
        return;
      }
      if (this.#unknownSessionAt !== undefined && now - this.#unknownSessionAt >= UNKNOWN_SESSION_CONFIRM_MS) {
        this.#startJoining('reconnecting', 'the relay restarted');
        return;
      }
      if (now >= this.#nextHeartbeatAt) this.#sendHeartbeat(now);
      if (this.#holdUntil !== undefined && now >= this.#holdUntil) this.#flushOutbox();
      const due = channel.nextWakeup();
      if (due !== undefined && due <= now) channel.poll(now);
    }
    const deliveryTimeout = this.#options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    for (const outgoing of this.#outbox.values()) {
      if ((outgoing.state === 'sending' || outgoing.state === 'queued') && now - outgoing.attemptStartedAt >= deliveryTimeout) {
        this.#setDelivery(outgoing, 'failed', this.#state === 'connected' ? 'the relay did not confirm it' : 'the relay is not reachable');
      }
    }
    for (const info of this.#reassembler.expire(now)) this.#reportIncomplete(info, 'its sender stopped sending it');
  }

  #schedule(): void {
    if (this.#state === 'closed') return;
    let next: number | undefined;
    const consider = (at: number | undefined): void => {
      if (at !== undefined && (next === undefined || at < next)) next = at;
    };
    if (!this.#channel || !this.#welcome) consider(this.#nextJoinAt);
    else {
      consider(this.#nextHeartbeatAt);
      if (this.#unknownSessionAt !== undefined) consider(this.#unknownSessionAt + UNKNOWN_SESSION_CONFIRM_MS);
      consider(this.#lastHeardAt + this.#relayTimeoutMs(this.#welcome));
      consider(this.#channel.nextWakeup());
      consider(this.#holdUntil);
    }
    const deliveryTimeout = this.#options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    for (const outgoing of this.#outbox.values()) {
      if (outgoing.state === 'sending' || outgoing.state === 'queued') consider(outgoing.attemptStartedAt + deliveryTimeout);
    }
    consider(this.#reassembler.nextExpiry());
    this.#timer.reset(next);
  }

  #send(datagram: Uint8Array | Uint8Array[]): void {
    const socket = this.#socket;
    if (!socket || this.#state === 'closed') return;
    socket.send(datagram as Uint8Array, this.#options.relayPort, this.#relayAddress);
  }

  #setState(state: ClientState, detail: string): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state, detail);
  }

  #newReassembler(): Reassembler {
    const incompleteAfterMs = this.#options.incompleteAfterMs ?? DEFAULT_INCOMPLETE_AFTER_MS;
    return new Reassembler({
      maxMessageBytes: (type) => {
        if (type === PacketType.Image) return this.maxImageBytes + PAYLOAD_OVERHEAD_BYTES;
        if (type === PacketType.Text) return this.maxTextBytes + PAYLOAD_OVERHEAD_BYTES;
        return 1 << 20; // member lists and notices: far more than 4,096 members need
      },
      // Two maximal images in flight at once, plus room for texts.
      maxPendingBytes: 2 * (this.maxImageBytes + PAYLOAD_OVERHEAD_BYTES) + (1 << 20),
      maxPendingMessages: 256,
      staleAfterMs: incompleteAfterMs,
    });
  }
}

function toMember(info: MemberInfo): ChatMember {
  return { id: info.id, name: info.name, legacy: (info.flags & MemberFlag.Legacy) !== 0 };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
