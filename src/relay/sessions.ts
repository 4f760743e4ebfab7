/**
 * The session table: which relay-issued member id has which hop keys, channel and budgets, and whether a datagram
 * really comes from the session it names. Pure: no socket, no clock; time is an argument.
 */
import { peekMemberId, peekType } from '../protocol/codec';
import { verifyDatagram, type HopKeys } from '../protocol/hop-auth';
import type { ReliableChannel, UnacknowledgedItem } from '../protocol/reliability';
import { MemberFlag, PacketType, type MessageFragment as Fragment, type MessageType } from '../protocol/types';
import type { Member } from './membership';
import { FORWARD_STALE_MS, MEMBER_DATAGRAM_BURST, MEMBER_DATAGRAM_RATE, VALIDATION_TIMEOUT_MS } from './limits';
import type { BacklogFeed, HistoryQuery } from './history';
import { TokenBucket } from './rate-limit';

/** A message a member is sending, while its fragments pass through the relay. */
export interface InboundMessage {
  type: MessageType;
  receivedBytes: number;
  rejected: boolean;
  lastActivity: number;
  /** Chunks kept only when a legacy member needs the whole text. */
  legacyChunks: Uint8Array[] | undefined;
  /** Chunks kept while the relay keeps history: the whole payload is stored once its last fragment is in. */
  storedChunks: Uint8Array[] | undefined;
  /** Their bytes, counted in the session's `keptBytes` until the message is done with. */
  storedBytes: number;
}

export interface Session {
  member: Member;
  /** The session's hop keys; undefined for legacy members, which speak plaintext. */
  keys: HopKeys | undefined;
  /** True once the member has sent an authenticated datagram (proving it received the Welcome). */
  validated: boolean;
  /** True once the room has been told this member joined. */
  announced: boolean;
  openedAt: number;
  /** Created on validation. Undefined for legacy members, which have no acknowledgements, and once retired. */
  channel: ReliableChannel<Fragment> | undefined;
  /**
   * What this member is owed but no channel of this session will carry: from a previous session (sent once this
   * one is validated), or everything since this session was retired (sent on the session that resumes it).
   */
  carriedOver: UnacknowledgedItem<Fragment>[];
  /** Chunk bytes in `carriedOver`, bounded like a channel's queue. */
  carriedBytes: number;
  /**
   * When the relay→member channel ran out of sequence numbers (ms). From then on what is queued for the member
   * waits in `carriedOver`, while the channel delivers what it already holds.
   */
  exhaustedAt: number | undefined;
  /**
   * When the exhausted channel had delivered everything and the member was told to join again (ms). Its datagrams
   * are no longer answered, so the client's next join (signed with this session's key) takes the member over and
   * gets `carriedOver`.
   */
  retiredAt: number | undefined;
  /** The Welcome datagram, kept to answer a repeated Join identically. */
  welcome: Uint8Array | undefined;
  /** Messages this member is sending, by message id, while their fragments pass through. */
  inbound: Map<bigint, InboundMessage>;
  /** Caps the datagrams this member makes the relay handle. */
  rate: TokenBucket;
  /** The number of the last message forwarded to this member (Flag.Numbered's "previous"); 0 before any. */
  lastNumbered: number;
  /** Bytes of this member's unfinished messages kept for storing (bounded by MAX_KEPT_BYTES_PER_MEMBER). */
  keptBytes: number;
  /** The history page being fed to this member, and the requests waiting behind it. */
  backlog: BacklogFeed | undefined;
  /** When the relay last passed on a Typing of this member (ms); undefined before any (typing.ts). */
  typingAt?: number;
  /** When the relay last passed on a Presence of this member (ms); undefined before any (typing.ts). */
  presenceAt?: number;
  waitingQueries: HistoryQuery[];
}

export function newSession(member: Member, keys: HopKeys | undefined, now: number): Session {
  return {
    member,
    keys,
    validated: keys === undefined,
    announced: false,
    openedAt: now,
    channel: undefined,
    carriedOver: [],
    carriedBytes: 0,
    exhaustedAt: undefined,
    retiredAt: undefined,
    welcome: undefined,
    inbound: new Map(),
    rate: new TokenBucket(MEMBER_DATAGRAM_RATE, MEMBER_DATAGRAM_BURST, now),
    lastNumbered: 0,
    keptBytes: 0,
    backlog: undefined,
    waitingQueries: [],
  };
}

/** True when the session's channel ran out of sequence numbers and has delivered everything it held. */
export function isDrained(session: Session): boolean {
  return session.exhaustedAt !== undefined && session.retiredAt === undefined && session.channel?.idle === true;
}

/** The message is done with (stored, refused or abandoned): its kept chunks no longer count. */
export function releaseKept(session: Session, inbound: InboundMessage): void {
  session.keptBytes -= inbound.storedBytes;
  inbound.storedBytes = 0;
  inbound.storedChunks = undefined;
}

export function isLegacy(member: Member): boolean {
  return (member.flags & MemberFlag.Legacy) !== 0;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

export class SessionTable {
  readonly #byId = new Map<number, Session>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: number): Session | undefined {
    return this.#byId.get(id);
  }

  /** True while `session` is still its member's session (not ended, not replaced by a resumption). */
  isCurrent(session: Session): boolean {
    return this.#byId.get(session.member.id) === session;
  }

  set(session: Session): void {
    this.#byId.set(session.member.id, session);
  }

  delete(id: number): void {
    this.#byId.delete(id);
  }

  clear(): void {
    this.#byId.clear();
  }

  values(): IterableIterator<Session> {
    return this.#byId.values();
  }

  /** Sessions joined but not yet validated: each holds a name and costs state for an address not yet proven. */
  unvalidatedCount(): number {
    let count = 0;
    for (const session of this.#byId.values()) if (!session.validated) count++;
    return count;
  }

  /**
   * The session a datagram authenticates as: its member id, from that member's address, with a valid tag. A join
   * is never authenticated here (admission judges it, resumption included).
   */
  authenticate(datagram: Uint8Array, host: string, port: number): Session | undefined {
    const memberId = peekMemberId(datagram);
    if (memberId === undefined || memberId === 0) return undefined;
    const session = this.#byId.get(memberId);
    if (!session?.keys || session.member.port !== port || session.member.host !== host) return undefined;
    if (peekType(datagram) === PacketType.Join) return undefined;
    return verifyDatagram(datagram, session.keys.upstream) ? session : undefined;
  }

  /** Sessions that did not prove their address within VALIDATION_TIMEOUT_MS of their join. */
  neverValidated(now: number): Session[] {
    return [...this.#byId.values()].filter((session) => !session.validated && now - session.openedAt >= VALIDATION_TIMEOUT_MS);
  }

  /** Forgets half-forwarded messages whose sender has sent nothing of them for FORWARD_STALE_MS. */
  forgetStaleInbound(now: number): void {
    for (const session of this.#byId.values()) {
      for (const [messageId, inbound] of session.inbound) {
        if (now - inbound.lastActivity < FORWARD_STALE_MS) continue;
        releaseKept(session, inbound);
        session.inbound.delete(messageId);
      }
    }
  }

  /** Sessions whose exhausted channel has delivered all it held: time to tell the member to join again. */
  drained(): Session[] {
    return [...this.#byId.values()].filter((session) => isDrained(session));
  }

  /** Runs every channel whose deadline has come. */
  pollChannels(now: number): void {
    for (const session of this.#byId.values()) {
      const due = session.channel?.nextWakeup();
      if (due !== undefined && due <= now) session.channel?.poll(now);
    }
  }

  /** The earliest time anything here needs to run: validation deadlines, stale messages, channel timers. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const session of this.#byId.values()) {
      if (!session.validated) next = earliest(next, session.openedAt + VALIDATION_TIMEOUT_MS);
      for (const inbound of session.inbound.values()) next = earliest(next, inbound.lastActivity + FORWARD_STALE_MS);
      next = earliest(next, session.channel?.nextWakeup());
    }
    return next;
  }
}
