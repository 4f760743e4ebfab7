/**
 * The roster: the membership table and the session table together, and what every change to them tells the
 * room. It queues to members (removing one that cannot keep up, retiring a session whose channel ran out of
 * sequence numbers), announces joins, ends sessions, and answers with errors within a per-address budget.
 * No socket and no clock: datagrams leave through `transmit`, time is an argument.
 */
import { randomInt } from 'node:crypto';
import { CLIENT_NONCE_BYTES, controlHeader, encodeControl, truncateUtf8 } from '../protocol/codec';
import { signDatagram } from '../protocol/hop-auth';
import { MessageIdSource } from '../protocol/ids';
import type { MemberInfo, MessagePayload } from '../protocol/payload';
import type { Priority } from '../protocol/reliability';
import { assertNever, ErrorCode, Flag, LeaveReason, PacketType, leaveReasonName, type ControlPacket, type MessageFragment as Fragment } from '../protocol/types';
import { RoomKeys, type StoredVerifier } from './admission';
import { enqueue, fragmentsOf, queuedBytesOf, retire as retireSession } from './fan-out';
import { legacyJoinNotice, legacyLeaveNotice, legacyShutdownNotice } from './legacy-bridge';
import { ERROR_REPLIES_PER_SECOND, ERROR_REPLY_BURST, LEAVE_FLUSH_MS, MAX_TRACKED_ADDRESSES, type RelayLimits } from './limits';
import { LegacyCredit } from './legacy-credit';
import { MembershipTable, type Member } from './membership';
import { KeyedRateLimiter } from './rate-limit';
import { SenderShares, senderShareBytes } from './send-shares';
import { sourceKeys } from './source-budget';
import { isDrained, isLegacy, SessionTable, type Session } from './sessions';

export type RelayLogLevel = 'debug' | 'info' | 'warn';
export type RelayLogger = (level: RelayLogLevel, message: string) => void;

export interface RelayMemberEvent {
  id: number;
  name: string;
  room: string;
  address: string;
  legacy: boolean;
}

export interface RosterOptions {
  limits: RelayLimits;
  transmit(datagram: Uint8Array, host: string, port: number): void;
  /** Counts an event by reason (drops, evictions, datagrams). */
  count(reason: string): void;
  log: RelayLogger;
  onJoin(member: RelayMemberEvent): void;
  onLeave(member: RelayMemberEvent, reason: string): void;
  onMembers(count: number): void;
  /** The verifier a room with stored history keeps while it is empty; without it, rooms are pinned in memory only. */
  storedVerifier?: StoredVerifier;
  /** Member ids; random by default, so a stale datagram from an earlier member rarely names a new one. */
  nextMemberId?: () => number;
}

/** A datagram to send when the relay shuts down. */
export interface Goodbye {
  datagram: Uint8Array;
  host: string;
  port: number;
}

/** The client nonce of errors that answer no join. */
export const ZERO_NONCE = new Uint8Array(CLIENT_NONCE_BYTES);

export function memberInfo(member: Member): MemberInfo {
  return member.signingKey
    ? { id: member.id, name: member.name, flags: member.flags, signingKey: member.signingKey }
    : { id: member.id, name: member.name, flags: member.flags };
}

export function memberEvent(member: Member): RelayMemberEvent {
  return { id: member.id, name: member.name, room: member.room, address: member.address, legacy: isLegacy(member) };
}

export class Roster {
  readonly membership: MembershipTable;
  readonly sessions = new SessionTable();
  readonly roomKeys: RoomKeys;
  readonly #options: RosterOptions;
  readonly #ids = new MessageIdSource(randomInt(0, 2 ** 32));
  readonly #errorReplies = new KeyedRateLimiter(ERROR_REPLIES_PER_SECOND, ERROR_REPLY_BURST, MAX_TRACKED_ADDRESSES);
  /** What each legacy member may still be sent (bytes): legacy addresses are never validated. */
  readonly legacyCredit = new LegacyCredit();
  /** Each receiver's queue, by sender; dropped with the session. */
  readonly #shares = new WeakMap<Session, SenderShares>();
  #shareFor: { queueBytes: number; share: number } | undefined;
  /**
   * The size (bytes) of the datagram being handled, set by the core as each arrives: no reply to an unauthenticated
   * datagram is larger than it (RFC 9000 §8), so answering a spoofed source never amplifies.
   */
  replyLimit = 0;
  /** The earliest deadline a channel asked for since the edge last took it. */
  #wakeAt: number | undefined;

  constructor(options: RosterOptions) {
    this.#options = options;
    this.roomKeys = new RoomKeys(options.storedVerifier);
    this.membership = new MembershipTable(options.limits, options.nextMemberId ?? (() => randomInt(1, 2 ** 32)));
  }

  count(reason: string): void {
    this.#options.count(reason);
  }

  log(level: RelayLogLevel, message: string): void {
    this.#options.log(level, message);
  }

  nextMessageId(): bigint {
    return this.#ids.next();
  }

  wake(at: number | undefined): void {
    if (at !== undefined && (this.#wakeAt === undefined || at < this.#wakeAt)) this.#wakeAt = at;
  }

  /** The earliest deadline asked for since the last call (then forgotten). */
  takeWakeRequest(): number | undefined {
    const at = this.#wakeAt;
    this.#wakeAt = undefined;
    return at;
  }

  transmit(datagram: Uint8Array, host: string, port: number): void {
    this.#options.transmit(datagram, host, port);
    this.#options.count('datagrams-out');
  }

  /** True while `host` (any port: a sender picks ports freely) has error replies left in its budget (and takes one). */
  mayReply(host: string, _port: number, now: number): boolean {
    return this.#errorReplies.allow(sourceKeys(host).address, now);
  }

  /** Sends `datagram` to a legacy member within its credit; what does not fit is dropped, counted. */
  transmitToLegacy(member: Member, datagram: Uint8Array): void {
    if (!this.legacyCredit.spend(member.id, datagram.length)) {
      this.#options.count('drop-legacy-no-credit');
      return;
    }
    this.transmit(datagram, member.host, member.port);
  }

  /** The member's channel delivered `ticket`: it no longer counts against its sender's share. */
  acknowledged(session: Session, ticket: number): void {
    this.#shares.get(session)?.acknowledged(ticket);
  }

  /** Sends a relay-originated message to one member. */
  sendTo(session: Session, payload: MessagePayload, priority: Priority, now: number, messageId = this.#ids.next()): void {
    for (const fragment of fragmentsOf(payload, 0, messageId)) this.enqueue(session, fragment, priority, now);
  }

  enqueue(session: Session, fragment: Fragment, priority: Priority, now: number): void {
    const channel = session.channel;
    const shares = fragment.memberId !== 0 && channel && session.exhaustedAt === undefined ? this.#sharesOf(session) : undefined;
    if (shares && channel) {
      const verdict = shares.judge(fragment, this.#shareOf(channel.tuning.maxQueuedBytes));
      if (verdict !== 'admit') {
        this.#options.count('skip-sender-over-share');
        if (verdict === 'refuse-and-tell') this.#tellOverShare(fragment.memberId, session.member, now);
        return;
      }
    }
    const { outcome, ticket } = enqueue(session, fragment, priority, now);
    switch (outcome) {
      case 'queued':
        if (shares && ticket !== undefined) shares.queued(fragment.memberId, ticket, queuedBytesOf(fragment));
        this.wake(session.channel?.nextWakeup());
        return;
      case 'carried':
      case 'skipped':
        return;
      case 'queue-full':
        // The member cannot keep up. Dropping it keeps everyone else's delivery going.
        this.#options.count('evict-queue-full');
        this.#options.log('warn', `${session.member.name} cannot keep up (send queue full); removing it`);
        this.endSession(session.member, LeaveReason.Kicked, now);
        return;
      case 'exhausted':
        this.#options.count('session-exhausted');
        this.#options.log('info', `${session.member.name}'s session ran out of sequence numbers; it will be asked to join again`);
        if (isDrained(session)) this.retire(session, now);
        return;
      default:
        assertNever(outcome, 'enqueue outcome');
    }
  }

  /**
   * Sequence numbers never wrap: once a member's channel has delivered all it held after running out, the member
   * is told, signed, that this session is over. Its next join, signed with this session's key, takes the member
   * over on a fresh channel and gets everything queued since. The room sees nothing of it.
   */
  retire(session: Session, now: number): void {
    retireSession(session, now);
    const notice = this.errorDatagram(ErrorCode.UnknownSession, 'this session has ended (sequence numbers ran out); join again', ZERO_NONCE, session);
    // Twice, as it is not acknowledged.
    this.transmit(notice, session.member.host, session.member.port);
    this.transmit(notice, session.member.host, session.member.port);
  }

  announceJoin(member: Member, now: number): void {
    for (const other of this.membership.roomMembers(member.room)) {
      if (other === member) continue;
      const target = this.sessions.get(other.id);
      if (!target) continue;
      if (isLegacy(other)) this.transmitToLegacy(other, legacyJoinNotice(member.name));
      else this.sendTo(target, { type: PacketType.MemberJoined, member: memberInfo(member) }, 'urgent', now);
    }
    this.#options.onJoin(memberEvent(member));
    this.#options.onMembers(this.membership.size);
  }

  /** Ends a member's session, removes it from the table (if still there) and tells the rest of its room. */
  endSession(member: Member, reason: LeaveReason, now: number): void {
    const session = this.sessions.get(member.id);
    this.membership.leave(member.id);
    this.legacyCredit.forget(member.id);
    if (!session) return;
    // Flush what the channel owes the leaver (e.g. the ack of its Leave) before forgetting it.
    session.channel?.poll(now + LEAVE_FLUSH_MS);
    this.sessions.delete(member.id);
    this.roomKeys.forgetIfEmpty(member.room, this.membership);
    if (!session.announced) return; // never validated: nobody was told it came
    for (const other of this.membership.roomMembers(member.room)) {
      const target = this.sessions.get(other.id);
      if (!target) continue;
      if (isLegacy(other)) this.transmitToLegacy(other, legacyLeaveNotice(member.name));
      else this.sendTo(target, { type: PacketType.MemberLeft, member: memberInfo(member), reason }, 'urgent', now);
    }
    this.#options.log('info', `${member.name} left room ${member.room} (${leaveReasonName(reason)})`);
    this.#options.onLeave(memberEvent(member), leaveReasonName(reason));
    this.#options.onMembers(this.membership.size);
  }

  /**
   * Ends every session for a shutdown and returns what tells each member: a signed ShuttingDown (twice, as it is
   * not acknowledged; signed, so nobody else can send members away) or, to legacy members, a line of text.
   */
  shutdown(): Goodbye[] {
    const goodbyes: Goodbye[] = [];
    for (const session of this.sessions.values()) {
      const { host, port } = session.member;
      if (isLegacy(session.member)) {
        const datagram = legacyShutdownNotice();
        if (this.legacyCredit.spend(session.member.id, datagram.length)) goodbyes.push({ datagram, host, port });
        continue;
      }
      if (!session.keys) continue;
      const datagram = this.errorDatagram(ErrorCode.ShuttingDown, 'the relay is shutting down', ZERO_NONCE, session);
      goodbyes.push({ datagram, host, port }, { datagram, host, port });
    }
    this.sessions.clear();
    return goodbyes;
  }

  /** An unsigned Error to an address without a session, within that address's reply budget. */
  replyError(host: string, port: number, code: ErrorCode, message: string, clientNonce: Uint8Array, now: number): void {
    // The text is cut to fit `replyLimit`; with no room even for the code, nothing is sent.
    const bare = this.errorDatagram(code, '', clientNonce);
    const room = this.replyLimit - bare.length;
    if (room < 0) {
      this.#options.count('error-reply-too-large');
      return;
    }
    if (!this.mayReply(host, port, now)) {
      this.#options.count('error-reply-suppressed');
      return;
    }
    this.transmit(room === 0 ? bare : this.errorDatagram(code, truncateUtf8(message, room), clientNonce), host, port);
  }

  /** An Error datagram; signed with the member's key when it goes to a member with a session. */
  errorDatagram(code: ErrorCode, message: string, clientNonce: Uint8Array, session?: Session): Uint8Array {
    const body = { code, clientNonce, message };
    if (!session?.keys) return encodeControl({ ...controlHeader(PacketType.Error, 0), body });
    return signDatagram(encodeControl({ ...controlHeader(PacketType.Error, session.member.id), flags: Flag.Auth, body }), session.keys.downstream);
  }

  /** senderShareBytes of a queue size, kept: it is asked for every fragment to every member. */
  #shareOf(queueBytes: number): number {
    if (this.#shareFor?.queueBytes !== queueBytes) this.#shareFor = { queueBytes, share: senderShareBytes(queueBytes, this.#options.limits) };
    return this.#shareFor.share;
  }

  #sharesOf(session: Session): SenderShares {
    let shares = this.#shares.get(session);
    if (!shares) {
      shares = new SenderShares();
      this.#shares.set(session, shares);
    }
    return shares;
  }

  /** Tells a member that its messages skip `receiver`, whose queue holds its share of them. */
  #tellOverShare(senderId: number, receiver: Member, now: number): void {
    const sender = this.sessions.get(senderId);
    this.#options.log('info', `${sender?.member.name ?? senderId} fills its share of ${receiver.name}'s queue; its messages skip ${receiver.name}`);
    if (!sender?.keys) return;
    const message = `${receiver.name} is not keeping up with what you send: your messages skip them until they catch up`;
    this.sendTo(sender, { type: PacketType.Notice, code: ErrorCode.RateLimited, message }, 'urgent', now);
  }

  /** Sends a control datagram to a member, signed with its relay-to-client key. */
  sendControl(session: Session, packet: ControlPacket): void {
    if (!session.keys) return;
    const datagram = signDatagram(encodeControl({ ...packet, flags: Flag.Auth }), session.keys.downstream);
    this.transmit(datagram, session.member.host, session.member.port);
  }
}
