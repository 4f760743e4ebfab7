/**
 * The relay as a state machine: datagrams and `now` in, datagrams out through `transmit`, and `poll()` says when
 * it must run again. It owns no socket and reads no clock, so every rule (admission, eviction after silence,
 * validation deadlines, rate limits) is tested at exact times. It routes each datagram to the parts: admission
 * judges joins, the session table authenticates, the fan-out plan says who gets what, the roster queues and tells
 * the room, the legacy bridge speaks to plaintext clients.
 *
 * Everything that arrives is hostile until checked: decoding never throws, a Join is judged only once it echoes
 * the cookie of a Challenge (its address is proven), a datagram naming a member is accepted only from that
 * member's address with that session's tag, and every failure is a counted drop.
 */
import { controlHeader, decodePacket, encodeFragment, fragmentOf, hasMagic } from '../protocol/codec';
import { createHopKeyPair, deriveHopKeys, signDatagram } from '../protocol/hop-auth';
import { otherVersionReply } from '../protocol/older-version';
import { createRelayIdentity, RoomSalts, type RelayIdentity } from '../protocol/relay-identity';
import { ReliableChannel, type ReliabilityTuning } from '../protocol/reliability';
import { assertNever, ErrorCode, Flag, LeaveReason, PacketType, type AckBody, type JoinPacket, type MessageFragment as Fragment, type Packet } from '../protocol/types';
import { judgeJoin, judgeJoinAddress, welcomeDatagram } from './admission';
import { CookieJar } from './cookie';
import { queuedBytesOf } from './fan-out';
import { Forwarder } from './forward';
import { HistoryDesk, type RelayHistoryOptions } from './history-desk';
import { LegacyBridge } from './legacy-bridge';
import * as budget from './limits';
import { addressKey } from './membership';
import { UnauthenticatedBudget } from './source-budget';
import { memberInfo, Roster, ZERO_NONCE, type Goodbye, type RosterOptions } from './roster';
import { isDrained, newSession, type Session } from './sessions';
import { relayPresence, relayTyping } from './typing';

export interface RelayCoreOptions extends Omit<RosterOptions, 'limits' | 'storedVerifier'> {
  /** Clamped to RELAY_LIMIT_RANGES (see clampRelayLimits) before anything uses them. */
  limits?: Partial<budget.RelayLimits>;
  acceptLegacy: boolean;
  /** Tuning of every member's channel, over the relay's own queue budget. */
  reliability?: Partial<ReliabilityTuning>;
  /** Address validation cookies (tests pass one with a chosen slot length or secrets). */
  cookies?: CookieJar;
  /** The relay's long-term identity, signing every Welcome; default a fresh one (clients then see a new relay). */
  identity?: RelayIdentity;
  /**
   * Keep every text and image (numbered, as received), each room's verifier with them, and answer HistoryRequests;
   * without it, no history, and rooms are pinned in memory only (while they have members).
   */
  history?: RelayHistoryOptions;
}

export class RelayCore {
  readonly #options: RelayCoreOptions;
  readonly #limits: budget.RelayLimits;
  readonly #roster: Roster;
  readonly #legacy: LegacyBridge | undefined;
  readonly #unauthenticated: UnauthenticatedBudget;
  readonly #cookies: CookieJar;
  readonly #identity: RelayIdentity;
  /** The salt each room's keys are derived with, from the identity (nothing stored per room). */
  readonly #salts: RoomSalts;
  /** The time of the call being handled: channel callbacks carry no time of their own. */
  #now: number;
  /** Leaves delivered inside a channel callback, ended once that channel has returned. */
  readonly #pendingLeaves: Session[] = [];
  readonly #history: HistoryDesk;
  readonly #forwarder: Forwarder;
  /** The wall clock of the datagram being handled (ms since the epoch): stamps what is stored. */
  #wallNow = 0;
  /**
   * While a member's data datagram is handled, its channel's acknowledgement waits here until what it delivered
   * has been handed over for storing: an ack that covers a message's last fragment never precedes its append.
   */
  #heldAck: { session: Session; ack: AckBody | undefined } | undefined;

  constructor(options: RelayCoreOptions, now: number) {
    this.#options = options;
    this.#limits = budget.clampRelayLimits(options.limits);
    // An empty room with stored history is judged by the verifier its history was pinned with (read when asked).
    this.#roster = new Roster({ ...options, limits: this.#limits, storedVerifier: (room) => this.#history.storedVerifier(room) });
    this.#legacy = options.acceptLegacy ? new LegacyBridge(this.#roster, this.#limits.maxTextBytes) : undefined;
    this.#unauthenticated = new UnauthenticatedBudget(now);
    this.#cookies = options.cookies ?? new CookieJar();
    this.#identity = options.identity ?? createRelayIdentity();
    this.#salts = new RoomSalts(this.#identity);
    this.#history = new HistoryDesk(this.#roster, options.history);
    this.#forwarder = new Forwarder(this.#roster, this.#limits, this.#legacy, this.#history);
    this.#now = now;
  }

  /** True while the relay keeps history (false without a store, or after the store failed). */
  get historyEnabled(): boolean {
    return this.#history.enabled;
  }

  /** The store failed: from now on nothing is numbered or stored, and requests are answered empty. */
  disableHistory(): void {
    this.#history.disable();
  }

  get limits(): Readonly<budget.RelayLimits> {
    return this.#limits;
  }

  get memberCount(): number {
    return this.#roster.membership.size;
  }

  rooms(): Map<string, number> {
    return this.#roster.membership.rooms();
  }

  /** The earliest deadline asked for since the last call (then forgotten): the edge arms its timer with it. */
  takeWakeRequest(): number | undefined {
    return this.#roster.takeWakeRequest();
  }

  /** Ends every session and returns the datagrams that tell each member the relay is going away. */
  shutdown(): Goodbye[] {
    return this.#roster.shutdown();
  }

  /** One datagram from `host:port`. `wallNow` (ms since the epoch) stamps what legacy clients send. */
  receive(datagram: Uint8Array, host: string, port: number, now: number, wallNow: number): void {
    this.#now = now;
    this.#wallNow = wallNow;
    const roster = this.#roster;
    roster.count('datagrams-in');
    roster.replyLimit = datagram.length;
    const session = roster.sessions.authenticate(datagram, host, port);
    if (!session) {
      // No session vouches for it: it pays from the small unauthenticated budgets before any decoding.
      if (!this.#unauthenticated.allow(host, now)) {
        roster.count('drop-rate-limited');
        return;
      }
    } else if (!session.rate.take(now)) {
      roster.count('drop-member-rate-limited');
      return;
    }
    if (!hasMagic(datagram)) {
      if (this.#legacy) this.#legacy.receive(datagram, host, port, now, wallNow);
      else roster.count('drop-not-udpchat');
      return;
    }
    const decoded = decodePacket(datagram);
    if (!decoded.ok) {
      roster.count(`drop-${decoded.error.code}`);
      if (decoded.error.code === 'UDPCHAT_ERR_UNSUPPORTED_VERSION') this.#answerOtherVersion(datagram, host, port, now);
      return;
    }
    const packet = decoded.value;
    if (packet.type === PacketType.Join) return this.#receiveJoin(packet, datagram, host, port, now);
    if (!session) return this.#receiveUnauthenticated(packet, host, port, now);
    if (session.retiredAt !== undefined) {
      // Told to join again: silence (no touch, no answer) is what makes the client do it, or lets it be evicted.
      roster.count('drop-retired-session');
      return;
    }
    roster.membership.touch(session.member, now);
    if (!session.validated) this.#validate(session, now);
    const channel = session.channel;
    if (!channel) return;
    this.#receiveInSession(session, channel, packet, now);
    for (const leaver of this.#pendingLeaves.splice(0)) {
      if (roster.sessions.isCurrent(leaver)) roster.endSession(leaver.member, LeaveReason.Quit, now);
    }
    if (isDrained(session)) roster.retire(session, now);
    if (session.channel) roster.wake(session.channel.nextWakeup());
  }

  /**
   * The relay itself did not run for the `stalledMs` before `now` (its timer fired that late: the process was
   * blocked). What members sent meanwhile waits unread in the socket, so that time does not count as their silence:
   * without this, the first poll after a stall would evict members whose heartbeats are still queued.
   */
  excuseStall(stalledMs: number, now: number): void {
    this.#roster.membership.excuseSilence(stalledMs, now);
  }

  /** Runs what is due at `now` (evictions, validation deadlines, channel timers); returns the next deadline. */
  poll(now: number): number | undefined {
    this.#now = now;
    const roster = this.#roster;
    for (const member of roster.membership.expire(now)) roster.endSession(member, LeaveReason.Timeout, now);
    for (const session of roster.sessions.neverValidated(now)) {
      roster.count('join-never-validated');
      roster.endSession(session.member, LeaveReason.Timeout, now);
    }
    roster.sessions.forgetStaleInbound(now);
    roster.sessions.pollChannels(now);
    for (const session of roster.sessions.drained()) roster.retire(session, now);
    roster.takeWakeRequest(); // everything it could say is in the full answer below
    const sessions = roster.sessions.nextDeadline();
    const members = roster.membership.nextExpiry();
    return sessions === undefined ? members : members === undefined ? sessions : Math.min(sessions, members);
  }

  #receiveUnauthenticated(packet: Packet, host: string, port: number, now: number): void {
    const roster = this.#roster;
    const claimed = roster.sessions.get(packet.memberId);
    if (!claimed) {
      roster.count('drop-unknown-member');
      if (packet.type === PacketType.Heartbeat || packet.type === PacketType.Ack || packet.flags & Flag.Reliable) {
        roster.replyError(host, port, ErrorCode.UnknownSession, 'this relay does not know your session; join again', ZERO_NONCE, now);
      }
      return;
    }
    // A member's id from another address, or without that member's key: a forgery, or a stale client.
    roster.count(claimed.member.address !== addressKey(host, port) ? 'drop-wrong-address' : 'drop-bad-tag');
  }

  /** The member's first authenticated datagram: it really is at its address. Now it gets the room. */
  #validate(session: Session, now: number): void {
    const roster = this.#roster;
    session.validated = true;
    roster.membership.confirm(session.member);
    session.channel = this.#openChannel(session, now);
    const { member } = session;
    const visible = roster.membership.roomMembers(member.room).filter((other) => roster.sessions.get(other.id)?.validated);
    roster.sendTo(session, { type: PacketType.MemberList, members: visible.map(memberInfo) }, 'urgent', now);
    // Nothing queued for the member's previous session is lost: it goes out again on this one.
    const carried = session.carriedOver.splice(0);
    session.carriedBytes = 0;
    for (const { item, priority } of carried) roster.enqueue(session, item, priority, now);
    if (!session.announced) {
      this.#history.started(session);
      roster.announceJoin(member, now);
    }
    session.announced = true;
    this.#history.feed(session, now);
  }

  #receiveInSession(session: Session, channel: ReliableChannel<Fragment>, packet: Packet, now: number): void {
    switch (packet.type) {
      case PacketType.Heartbeat:
        this.#roster.sendControl(session, { ...controlHeader(PacketType.HeartbeatAck, session.member.id), body: { echo: packet.body.echo } });
        return;
      case PacketType.Ack:
        channel.receiveAck(packet.body, now);
        this.#history.feed(session, now);
        return;
      case PacketType.Typing:
        return relayTyping(this.#roster, session, now);
      case PacketType.Presence:
        return relayPresence(this.#roster, session, packet.body.state, now);
      case PacketType.Join:
      case PacketType.Challenge:
      case PacketType.Welcome:
      case PacketType.HeartbeatAck:
      case PacketType.Error:
        this.#roster.count('drop-wrong-direction');
        return;
      default:
        this.#receiveData(session, channel, packet.seq, fragmentOf(packet), now);
    }
  }

  #receiveData(session: Session, channel: ReliableChannel<Fragment>, seq: number, fragment: Fragment, now: number): void {
    const held = { session, ack: undefined as AckBody | undefined };
    this.#heldAck = held;
    try {
      channel.receiveData(seq, fragment, now);
    } finally {
      this.#heldAck = undefined;
      if (held.ack) this.#sendAck(session, held.ack);
    }
  }

  #sendAck(session: Session, ack: AckBody): void {
    this.#roster.sendControl(session, { ...controlHeader(PacketType.Ack, session.member.id), body: ack });
  }

  /** A client of another version is told who must upgrade, within the trigger's size and the reply budget. */
  #answerOtherVersion(datagram: Uint8Array, host: string, port: number, now: number): void {
    const reply = otherVersionReply(datagram);
    if (!reply) return;
    if (!this.#roster.mayReply(host, port, now)) {
      this.#roster.count('error-reply-suppressed');
      return;
    }
    this.#roster.count('reply-other-version');
    this.#roster.transmit(reply, host, port);
  }

  #receiveJoin(packet: JoinPacket, datagram: Uint8Array, host: string, port: number, now: number): void {
    const roster = this.#roster;
    const { body } = packet;
    const address = judgeJoinAddress(packet, datagram, host, port, this.#cookies, this.#salts, now);
    switch (address.kind) {
      case 'too-small':
        roster.count('challenge-suppressed');
        return;
      case 'challenge':
        if (address.reason) roster.count(`join-cookie-${address.reason}`);
        roster.count('challenge-sent');
        roster.transmit(address.datagram, host, port);
        return;
      case 'validated':
        // Only now may the Join cost public-key work, a slot, a pinned verifier or a displaced member.
        roster.count('join-verified');
        break;
      default:
        assertNever(address, 'address verdict');
    }
    const refuse = (code: ErrorCode, message: string): void => {
      roster.count('join-refused');
      roster.replyError(host, port, code, message, body.clientNonce, now);
    };
    const verdict = judgeJoin(packet, datagram, host, port, roster);
    if (verdict.kind === 'refuse') return refuse(verdict.code, verdict.message);
    if (verdict.kind === 'repeat') {
      if (verdict.welcome) roster.transmit(verdict.welcome, host, port);
      return;
    }
    const relayKeys = createHopKeyPair();
    const keys = deriveHopKeys(relayKeys.privateKey, verdict.hopPublicKey, body.clientNonce);
    if (!keys) return refuse(ErrorCode.Malformed, 'the join carries an unusable hop key');
    const request = { name: verdict.name, room: verdict.room, host, port, flags: 0, clientNonce: body.clientNonce, resumeOf: verdict.resumeOf, signingKey: verdict.memberKey };
    const outcome = roster.membership.join(request, now);
    switch (outcome.kind) {
      case 'refused':
        return refuse(outcome.code, outcome.message);
      case 'repeated': {
        const welcome = roster.sessions.get(outcome.member.id)?.welcome;
        if (welcome) roster.transmit(welcome, host, port);
        return;
      }
      case 'joined':
      case 'resumed': {
        for (const displaced of outcome.displaced) roster.endSession(displaced, LeaveReason.Replaced, now);
        const member = outcome.member;
        roster.roomKeys.bindIfFirst(member.room, verdict.roomKey ?? null, roster.membership);
        const previous = roster.sessions.get(member.id);
        const session = newSession(member, keys, now);
        if (outcome.kind === 'resumed' && previous) {
          // Everything the previous session still owed the member (including all of it, if it was retired).
          session.announced = previous.announced;
          session.carriedOver = previous.channel ? previous.channel.unacknowledged() : previous.carriedOver;
          session.carriedBytes = session.carriedOver.reduce((sum, entry) => sum + queuedBytesOf(entry.item), 0);
          // The chain of numbers goes on; a page being fed is not (the client asks again on every rejoin).
          session.lastNumbered = previous.lastNumbered;
        }
        // The salt of the room as the Join named it: the one its Challenge handed out.
        const roomSalt = this.#salts.of(body.room);
        session.welcome = welcomeDatagram(member.id, body.clientNonce, member.room, this.#limits, relayKeys.publicKey, keys, this.#identity, roomSalt);
        roster.sessions.set(session);
        roster.transmit(session.welcome, host, port);
        roster.wake(now + budget.VALIDATION_TIMEOUT_MS);
        const how = outcome.kind === 'joined' ? 'joined' : 'resumed';
        roster.log('info', `${member.name} ${how} room ${member.room} from ${member.address}${verdict.roomKey ? ' (encrypted)' : ''}`);
        return;
      }
      default:
        assertNever(outcome, 'join outcome');
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
          this.#roster.transmit(signDatagram(datagram, keys.downstream), member.host, member.port);
        },
        transmitAck: (ack) => {
          if (this.#heldAck?.session === session) this.#heldAck.ack = ack;
          else this.#sendAck(session, ack);
        },
        acknowledged: (ticket) => this.#roster.acknowledged(session, ticket),
        deliver: (fragment) => this.#onMemberFragment(session, fragment),
        tuning: { maxQueuedBytes: budget.MEMBER_QUEUE_BYTES, ...this.#options.reliability },
      },
      now,
    );
  }

  /** A message fragment from a member, in the order the member sent it. */
  #onMemberFragment(session: Session, fragment: Fragment): void {
    if (!this.#roster.sessions.isCurrent(session)) return;
    switch (fragment.type) {
      case PacketType.Text:
      case PacketType.Image:
        this.#forwarder.forward(session, fragment, this.#now, this.#wallNow);
        return;
      case PacketType.Leave:
        // Not from inside the channel's delivery callback: ending the session polls that same channel.
        this.#pendingLeaves.push(session);
        return;
      case PacketType.HistoryRequest:
        this.#history.request(session, fragment, this.#now);
        return;
      case PacketType.MemberList:
      case PacketType.MemberJoined:
      case PacketType.MemberLeft:
      case PacketType.Notice:
      case PacketType.HistoryEnd:
      case PacketType.Stored:
        this.#roster.count('drop-wrong-direction');
        return;
      default:
        assertNever(fragment.type, 'message type');
    }
  }
}
