/**
 * A member of a relay at the wire level, for relay tests: the real join handshake, hop keys and reliability
 * layer, no socket and no clock (datagrams and `now` in, datagrams out in `outbox`), so a test can drive a
 * RelayCore at exact times or put the datagrams on a real socket. `CoreNet` wires peers to a RelayCore the way
 * the socket edge does, with time moved by the test.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { CLIENT_NONCE_BYTES, controlHeader, decodePacket, encodeControl, encodeFragment, fragmentOf } from '../../src/protocol/codec';
import { splitPayload } from '../../src/protocol/fragment';
import { MAX_FRAGMENT_BYTES } from '../../src/protocol/constants';
import { createHopKeyPair, deriveHopKeys, signDatagram, verifyDatagram, type HopKeyPair, type HopKeys } from '../../src/protocol/hop-auth';
import { decodePayload, encodePayload, type MessagePayload } from '../../src/protocol/payload';
import { ReliableChannel } from '../../src/protocol/reliability';
import { signJoinProof, type ContentSealer, type RoomKeys } from '../../src/protocol/room-crypto';
import { ExtensionTag, Flag, PacketType, PresenceCode, type ControlPacket, type ErrorBody, type MessageFragment as Fragment } from '../../src/protocol/types';
import { RelayCore, type RelayCoreOptions } from '../../src/relay/core';
import type { RelayLimits } from '../../src/relay/limits';
import type { RelayMemberEvent } from '../../src/relay/roster';

export interface ReceivedError extends ErrorBody {
  authentic: boolean;
  memberId: number;
}

let nextPort = 40_000;
/** How often (ms) a SocketPeer sends its join again until welcomed. */
const JOIN_RETRY_MS = 200;

export class WirePeer {
  readonly host = '10.0.0.1';
  readonly port: number;
  /** Datagrams for the relay, oldest first. */
  readonly outbox: Uint8Array[] = [];
  readonly errors: ReceivedError[] = [];
  /** Whole messages delivered by the relay, decoded (single- or multi-fragment). */
  readonly messages: MessagePayload[] = [];
  /** The numbers (Flag.Numbered) of the messages the relay forwarded, in arrival order. */
  readonly numbered: Array<{ messageId: bigint; roomSeq: number; previousSeq: number }> = [];
  readonly welcomes: number[] = [];
  heartbeatAcks = 0;
  /** The members a Typing from the relay named, in arrival order. */
  readonly typing: number[] = [];
  /** What Presence datagrams from the relay said, in arrival order. */
  readonly presence: { memberId: number; state: PresenceCode }[] = [];
  /** Challenges that answered this peer's join (and were answered with the join and the cookie). */
  challenges = 0;
  /** False: Challenges are ignored, as a forger who never sees them. */
  answerChallenges = true;
  /** The join last built (with the cookie once challenged): what a retry sends. */
  lastJoin: Uint8Array | undefined;
  memberId = 0;
  keys: HopKeys | undefined;
  channel: ReliableChannel<Fragment> | undefined;
  #hop: HopKeyPair = createHopKeyPair();
  #nonce: Uint8Array = randomBytes(CLIENT_NONCE_BYTES);
  #cookie: Uint8Array | undefined;
  #chunks = new Map<bigint, Uint8Array[]>();
  #nextMessageId = 1n;

  constructor(
    readonly name: string,
    readonly room = 'general',
    /**
     * A sealed room's keys: the join then carries the verifier and the proof. Any salt will do (the relay compares
     * verifiers and cannot tell which salt a member derived with), as long as the room's members share it.
     */
    readonly proofKeys?: RoomKeys,
    /** Another peer's port: the same address, as a client restarted on its old socket. */
    port?: number,
  ) {
    this.port = port ?? nextPort++;
  }

  /** A join with a fresh nonce and hop key; signed with the current session's key (a resumption) when there is one. */
  join(): Uint8Array {
    this.#hop = createHopKeyPair();
    this.#nonce = randomBytes(CLIENT_NONCE_BYTES);
    this.#cookie = undefined;
    return this.#pushJoin();
  }

  /** The current join (same nonce and hop key), with the cookie once challenged. */
  #pushJoin(): Uint8Array {
    const extensions = new Map<number, Uint8Array>([[ExtensionTag.HopPublicKey, this.#hop.publicKey]]);
    if (this.proofKeys) {
      extensions.set(ExtensionTag.RoomKey, this.proofKeys.verifyKey);
      extensions.set(ExtensionTag.MemberKey, this.proofKeys.memberPublicKey);
      extensions.set(ExtensionTag.RoomProof, signJoinProof(this.proofKeys, this.#nonce, this.#hop.publicKey, this.name));
    }
    if (this.#cookie) extensions.set(ExtensionTag.Cookie, this.#cookie);
    const body = { clientNonce: this.#nonce, name: this.name, room: this.room, extensions };
    const datagram = this.keys
      ? signDatagram(encodeControl({ ...controlHeader(PacketType.Join, this.memberId), flags: Flag.Auth, body }), this.keys.upstream)
      : encodeControl({ ...controlHeader(PacketType.Join, 0), body });
    this.outbox.push(datagram);
    this.lastJoin = datagram;
    return datagram;
  }

  heartbeat(echo = 0): Uint8Array {
    return this.#control({ ...controlHeader(PacketType.Heartbeat, this.memberId), body: { echo } });
  }

  /** "I am typing" (a Typing control datagram, signed like a heartbeat). */
  typingNotice(): Uint8Array {
    return this.#control({ ...controlHeader(PacketType.Typing, this.memberId), body: { memberId: 0 } });
  }

  /** "I am active / away" (a Presence control datagram, signed like a heartbeat). */
  presenceNotice(state: PresenceCode): Uint8Array {
    return this.#control({ ...controlHeader(PacketType.Presence, this.memberId), body: { memberId: 0, state } });
  }

  /**
   * A text through this peer's channel; its datagrams go to the outbox. A hostile peer may choose the message id
   * and the sender name inside, and seal it with a sealer of its choice.
   */
  sendText(text: string, now: number, options: { messageId?: bigint; sender?: string; sealer?: ContentSealer } = {}): void {
    const payload: MessagePayload = { type: PacketType.Text, sentAt: 0, sender: options.sender ?? this.name, text };
    const messageId = options.messageId ?? this.#nextMessageId++;
    const plain = encodePayload(payload);
    const chunks = splitPayload(options.sealer ? options.sealer.seal(PacketType.Text, messageId, plain) : plain, MAX_FRAGMENT_BYTES);
    const flags = Flag.Reliable | (options.sealer ? Flag.Encrypted : 0);
    chunks.forEach((chunk, fragmentIndex) => {
      const fragment: Fragment = { type: PacketType.Text, flags, memberId: 0, messageId, fragmentIndex, fragmentCount: chunks.length, chunk };
      this.channel?.send(fragment, chunk.length, 'normal', now);
    });
  }

  /** Any message payload through this peer's channel (e.g. a HistoryRequest), as one or more fragments. */
  sendPayload(payload: MessagePayload, now: number, priority: 'urgent' | 'normal' | 'bulk' = 'normal'): bigint {
    const messageId = this.#nextMessageId++;
    const chunks = splitPayload(encodePayload(payload), MAX_FRAGMENT_BYTES);
    chunks.forEach((chunk, fragmentIndex) => {
      const fragment: Fragment = { type: payload.type, flags: Flag.Reliable, memberId: 0, messageId, fragmentIndex, fragmentCount: chunks.length, chunk };
      this.channel?.send(fragment, chunk.length, priority, now);
    });
    return messageId;
  }

  /** A datagram from the relay. */
  receive(datagram: Uint8Array, now: number): void {
    const decoded = decodePacket(datagram);
    if (!decoded.ok) return;
    const packet = decoded.value;
    if (packet.type === PacketType.Challenge) {
      if (!this.answerChallenges || !Buffer.from(packet.body.clientNonce).equals(this.#nonce)) return;
      this.challenges++;
      this.#cookie = Uint8Array.from(packet.body.cookie);
      this.#pushJoin();
      return;
    }
    if (packet.type === PacketType.Welcome) {
      const relayKey = packet.body.extensions.get(ExtensionTag.HopPublicKey);
      const keys = relayKey ? deriveHopKeys(this.#hop.privateKey, relayKey, this.#nonce) : undefined;
      if (!keys || !verifyDatagram(datagram, keys.downstream)) return;
      this.keys = keys;
      this.memberId = packet.memberId;
      this.welcomes.push(now);
      this.channel = this.#openChannel(now);
      return;
    }
    const authentic = this.keys !== undefined && verifyDatagram(datagram, this.keys.downstream);
    if (packet.type === PacketType.Error) {
      this.errors.push({ ...packet.body, authentic, memberId: packet.memberId });
      return;
    }
    if (!authentic) return;
    switch (packet.type) {
      case PacketType.HeartbeatAck:
        this.heartbeatAcks++;
        return;
      case PacketType.Ack:
        this.channel?.receiveAck(packet.body, now);
        return;
      case PacketType.Join:
      case PacketType.Heartbeat:
        return;
      case PacketType.Typing:
        this.typing.push(packet.body.memberId);
        return;
      case PacketType.Presence:
        this.presence.push({ memberId: packet.body.memberId, state: packet.body.state });
        return;
      default:
        this.channel?.receiveData(packet.seq, fragmentOf(packet), now);
    }
  }

  poll(now: number): void {
    const due = this.channel?.nextWakeup();
    if (due !== undefined && due <= now) this.channel?.poll(now);
  }

  /** The texts delivered so far, in order. */
  texts(): string[] {
    return this.messages.flatMap((message) => (message.type === PacketType.Text ? [message.text] : []));
  }

  #openChannel(now: number): ReliableChannel<Fragment> {
    return new ReliableChannel<Fragment>(
      {
        transmit: (seq, fragment) => {
          if (!this.keys) return;
          const datagram = encodeFragment(fragment, fragment.flags | Flag.Auth, this.memberId, seq);
          this.outbox.push(signDatagram(datagram, this.keys.upstream));
        },
        transmitAck: (ack) => {
          this.#control({ ...controlHeader(PacketType.Ack, this.memberId), body: ack });
        },
        deliver: (fragment) => this.#deliver(fragment),
        // Acks at once: a test's timeline then holds no delayed-ack timers of the peer's own.
        tuning: { ackEveryPackets: 1, maxAckDelayMs: 0 },
      },
      now,
    );
  }

  #deliver(fragment: Fragment): void {
    if (fragment.roomSeq !== undefined) {
      this.numbered.push({ messageId: fragment.messageId, roomSeq: fragment.roomSeq, previousSeq: fragment.previousSeq ?? 0 });
    }
    const chunks = this.#chunks.get(fragment.messageId) ?? [];
    chunks.push(fragment.chunk);
    this.#chunks.set(fragment.messageId, chunks);
    if (fragment.fragmentIndex !== fragment.fragmentCount - 1) return;
    this.#chunks.delete(fragment.messageId);
    const payload = decodePayload(fragment.type, Buffer.concat(chunks));
    if (payload.ok) this.messages.push(payload.value);
  }

  #control(packet: ControlPacket): Uint8Array {
    const datagram = this.keys
      ? signDatagram(encodeControl({ ...packet, flags: Flag.Auth }), this.keys.upstream)
      : encodeControl(packet);
    this.outbox.push(datagram);
    return datagram;
  }
}

/** A RelayCore with peers wired to it; `now` moves only through `advanceTo`. */
export class CoreNet {
  readonly core: RelayCore;
  readonly counters: Record<string, number> = {};
  readonly joins: RelayMemberEvent[] = [];
  readonly leaves: Array<{ name: string; reason: string }> = [];
  now: number;
  /** Return true to lose a datagram on its way from the relay to a peer. */
  lose: (datagram: Uint8Array, peer: WirePeer) => boolean = () => false;
  /** Datagrams the relay sent to addresses with no peer (e.g. forged sources). */
  readonly unrouted: Array<{ datagram: Uint8Array; host: string; port: number }> = [];
  readonly #peers = new Map<string, WirePeer>();
  #deadline: number | undefined;

  constructor(options: { limits?: Partial<RelayLimits> } & Partial<Omit<RelayCoreOptions, 'limits'>> = {}, start = 1_000_000) {
    this.now = start;
    const { limits, ...rest } = options;
    this.core = new RelayCore(
      {
        acceptLegacy: false,
        log: () => {},
        onJoin: (member) => this.joins.push(member),
        onLeave: (member, reason) => this.leaves.push({ name: member.name, reason }),
        onMembers: () => {},
        ...rest,
        limits,
        count: (reason) => {
          this.counters[reason] = (this.counters[reason] ?? 0) + 1;
        },
        transmit: (datagram, host, port) => {
          const peer = this.#peers.get(`${host}:${port}`);
          if (peer) {
            if (!this.lose(datagram, peer)) peer.receive(Uint8Array.from(datagram), this.now);
          }
          else this.unrouted.push({ datagram: Uint8Array.from(datagram), host, port });
        },
      },
      start,
    );
  }

  add(peer: WirePeer): WirePeer {
    this.#peers.set(`${peer.host}:${peer.port}`, peer);
    return peer;
  }

  /** A peer that joins and proves its address (first heartbeat), with everything exchanged at the current time. */
  joined(name: string, room = 'general', proofKeys?: RoomKeys): WirePeer {
    const peer = this.add(new WirePeer(name, room, proofKeys));
    peer.join();
    this.flush();
    peer.heartbeat();
    this.flush();
    return peer;
  }

  /** Raw bytes from an address (a peer's or not), at the current time. */
  inject(datagram: Uint8Array, host: string, port: number): void {
    this.core.receive(datagram, host, port, this.now, this.now);
    this.#noteWake();
  }

  /** Delivers every peer's outbox to the relay (and the answers back) until nothing is left. */
  flush(): void {
    for (let round = 0; round < 10_000; round++) {
      let moved = false;
      for (const peer of this.#peers.values()) {
        peer.poll(this.now);
        for (const datagram of peer.outbox.splice(0)) {
          moved = true;
          this.inject(datagram, peer.host, peer.port);
        }
      }
      if (!moved) return;
    }
    throw new Error('the peers and the relay never went quiet');
  }

  /** Moves time to `at`, running the relay's timer at each deadline it asked for on the way, as the edge does. */
  advanceTo(at: number): void {
    while (this.#deadline !== undefined && this.#deadline <= at) {
      this.now = Math.max(this.now, this.#deadline);
      this.#deadline = this.core.poll(this.now);
      this.#noteWake();
      this.flush();
    }
    this.now = at;
    this.flush();
  }

  /** The relay timer's deadline, as the edge would have armed it. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  #noteWake(): void {
    const at = this.core.takeWakeRequest();
    if (at !== undefined && (this.#deadline === undefined || at < this.#deadline)) this.#deadline = at;
  }
}

/** A WirePeer on a real UDP socket (127.0.0.1, port 0) talking to a relay; waits resolve on datagrams, never on sleeps. */
export class SocketPeer {
  readonly peer: WirePeer;
  /** Every datagram received, raw. */
  readonly datagrams: Uint8Array[] = [];
  readonly #socket = dgram.createSocket('udp4');
  readonly #relayPort: number;
  readonly #now: () => number;
  readonly #waiters = new Set<() => void>();

  private constructor(name: string, relayPort: number, now: () => number, proofKeys?: RoomKeys, room?: string) {
    this.peer = new WirePeer(name, room, proofKeys);
    this.#relayPort = relayPort;
    this.#now = now;
    this.#socket.on('message', (datagram) => {
      this.datagrams.push(Uint8Array.from(datagram));
      this.peer.receive(Uint8Array.from(datagram), this.#now());
      this.flush();
      for (const waiter of [...this.#waiters]) waiter();
    });
  }

  /** `proofKeys` and `room`: a member of a sealed room (one holding its passphrase). */
  static async open(name: string, relayPort: number, now: () => number, proofKeys?: RoomKeys, room?: string): Promise<SocketPeer> {
    const peer = new SocketPeer(name, relayPort, now, proofKeys, room);
    await new Promise<void>((resolve) => peer.#socket.bind(0, '127.0.0.1', resolve));
    return peer;
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Sends whatever the peer has queued for the relay. */
  flush(): void {
    for (const datagram of this.peer.outbox.splice(0)) this.#socket.send(datagram, this.#relayPort, '127.0.0.1');
  }

  /** Resolves once `condition` holds after some datagram arrived (or already holds); fails after `timeoutMs`. */
  until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`));
      }, timeoutMs);
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  /** Joins and proves its address: resolves once the relay answered the first heartbeat. */
  async join(): Promise<void> {
    this.peer.join();
    this.flush();
    // Sent again (the same join, with the cookie once challenged) until answered, as clients do: a datagram lost
    // on a busy machine is not a failure.
    const retry = setInterval(() => {
      if (this.peer.lastJoin) this.#socket.send(this.peer.lastJoin, this.#relayPort, '127.0.0.1');
    }, JOIN_RETRY_MS);
    try {
      await this.until(() => this.peer.keys !== undefined, `${this.peer.name} is welcomed`);
    } finally {
      clearInterval(retry);
    }
    await this.heartbeat();
  }

  /** A heartbeat, resolved when the relay's signed answer arrives. */
  async heartbeat(): Promise<void> {
    const before = this.peer.heartbeatAcks;
    this.peer.heartbeat();
    this.flush();
    await this.until(() => this.peer.heartbeatAcks > before, `${this.peer.name}'s heartbeat is answered`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
