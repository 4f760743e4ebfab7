/**
 * History at the relay's counter: numbers and hands over for storing each text and image a member completes,
 * answers HistoryRequests with pages of stored messages, and feeds each page to its member behind live traffic.
 * Pure like the core it serves: the store is read through `HistoryReader`, appends leave through `append` (the
 * edge commits them before the datagrams of the same turn), time is an argument. It also keeps each room's verifier
 * with its stored messages, so an empty room (or one after a restart) admits only joins its history was sealed for.
 */
import { decodePayload } from '../protocol/payload';
import { PacketType, type MessageFragment as Fragment } from '../protocol/types';
import type { RoomVerifier, StoredMessage } from '../history/store';
import {
  BACKLOG_QUEUED_BYTES,
  BacklogFeed,
  endFragment,
  MAX_WAITING_REQUESTS,
  readPage,
  RoomNumbers,
  type HistoryQuery,
  type HistoryReader,
} from './history';
import type { Roster } from './roster';
import { releaseKept, type InboundMessage, type Session } from './sessions';

/**
 * Bytes of unfinished messages kept per member for storing: two of the largest images a relay may announce
 * (16 MiB) with room to spare. Past it a message is forwarded but not stored, and counted.
 */
const MAX_KEPT_BYTES_PER_MEMBER = 34 * 1024 * 1024;

export interface RelayHistoryOptions {
  reader: HistoryReader;
  /** A numbered message to make durable; the edge commits the turn's batch before sending the turn's datagrams. */
  append(message: StoredMessage): void;
  /** Pins a room's verifier; the edge commits it before the appends of the same turn. */
  pin(room: string, verifier: RoomVerifier): void;
}

export class HistoryDesk {
  readonly #roster: Roster;
  readonly #options: RelayHistoryOptions | undefined;
  readonly #numbers: RoomNumbers | undefined;
  #enabled: boolean;

  constructor(roster: Roster, options: RelayHistoryOptions | undefined) {
    this.#roster = roster;
    this.#options = options;
    this.#numbers = options ? new RoomNumbers(options.reader) : undefined;
    this.#enabled = options !== undefined;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** The store failed: the relay goes on without history (nothing numbered, requests answered empty). */
  disable(): void {
    this.#enabled = false;
  }

  /**
   * The verifier an empty room's stored history was pinned with, for admission: a key, null (open), undefined (no
   * stored history, or none kept: anything goes, as in memory) or 'unreadable' (the store failed to answer).
   */
  storedVerifier(room: string): RoomVerifier | undefined | 'unreadable' {
    if (!this.#enabled || !this.#options) return undefined;
    try {
      return this.#options.reader.roomVerifier(room);
    } catch (error) {
      this.#roster.count('history-read-error');
      this.#roster.log('warn', `cannot read how room ${room} is pinned: ${String(error)}`);
      return 'unreadable';
    }
  }

  /**
   * Keeps the chunks of a text or image passing through, so the whole payload can be stored. A member whose
   * unfinished messages already hold MAX_KEPT_BYTES_PER_MEMBER has this one forwarded but not stored (counted).
   */
  keep(session: Session, inbound: InboundMessage, fragment: Fragment): void {
    if (!this.#enabled) return;
    if (fragment.fragmentIndex === 0) inbound.storedChunks = [];
    const chunks = inbound.storedChunks;
    if (!chunks) return;
    if (session.keptBytes + fragment.chunk.length > MAX_KEPT_BYTES_PER_MEMBER) {
      this.#roster.count('history-not-kept');
      releaseKept(session, inbound);
      return;
    }
    chunks.push(fragment.chunk);
    inbound.storedBytes += fragment.chunk.length;
    session.keptBytes += fragment.chunk.length;
  }

  /**
   * The last fragment of a text or image from `sender` is in: the message gets the room's next number and goes to
   * the edge for storing, before anything of this turn (the acknowledgement of this fragment included) is sent.
   */
  number(sender: Session, fragment: Fragment, inbound: InboundMessage, wallNow: number): number | undefined {
    const chunks = inbound.storedChunks;
    releaseKept(sender, inbound);
    if (!this.#enabled || !this.#numbers || !this.#options || !chunks) return undefined;
    const member = sender.member;
    const seq = this.#numbers.next(member.room);
    this.#pinIfUnpinned(member.room);
    const payload = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
    this.#options.append({
      room: member.room,
      seq,
      type: fragment.type,
      messageId: fragment.messageId,
      from: member.name,
      memberKey: member.signingKey,
      storedAt: wallNow,
      payload,
    });
    return seq;
  }

  /**
   * A room's first stored message (since it was created or retention emptied it) pins the verifier its members
   * joined with. Admission held every joiner to the stored pin, so rewriting it with the same key is harmless: an
   * unreadable pin is written again rather than left out.
   */
  #pinIfUnpinned(room: string): void {
    const bound = this.#roster.roomKeys.bound(room);
    if (bound === undefined || !this.#options) return;
    let stored: RoomVerifier | undefined;
    try {
      stored = this.#options.reader.roomVerifier(room);
    } catch {
      stored = undefined;
    }
    if (stored === undefined) this.#options.pin(room, bound);
  }

  /** A new member's chain of numbers starts at what its room has now: it is sent everything after. */
  started(session: Session): void {
    if (this.#enabled && this.#numbers) session.lastNumbered = this.#numbers.latest(session.member.room);
  }

  /** A HistoryRequest from a member (one fragment, in its room). */
  request(session: Session, fragment: Fragment, now: number): void {
    const decoded = fragment.fragmentCount === 1 ? decodePayload(PacketType.HistoryRequest, fragment.chunk) : undefined;
    if (!decoded?.ok || decoded.value.type !== PacketType.HistoryRequest) {
      this.#roster.count('drop-bad-history-request');
      return;
    }
    const { requestId, direction, seq, limit } = decoded.value;
    const query: HistoryQuery = { requestId, direction, seq, limit };
    this.#roster.count('history-request');
    if (session.backlog) {
      if (session.waitingQueries.length >= MAX_WAITING_REQUESTS) {
        this.#roster.count('history-request-refused');
        this.#answerEmpty(session, query, false, now);
        return;
      }
      session.waitingQueries.push(query);
      return;
    }
    this.#start(session, query, now);
  }

  /**
   * Tops the member's queue up with backlog, at the lowest priority and never more than BACKLOG_QUEUED_BYTES
   * waiting: called on each request and each acknowledgement from the member.
   */
  feed(session: Session, now: number): void {
    const roster = this.#roster;
    while (session.backlog && roster.sessions.isCurrent(session)) {
      const channel = session.channel;
      if (!channel || session.exhaustedAt !== undefined || channel.stats.queuedBytes >= BACKLOG_QUEUED_BYTES) return;
      const fragment = session.backlog.take(() => roster.nextMessageId());
      if (fragment) roster.enqueue(session, fragment, 'bulk', now);
      if (session.backlog.done) {
        session.backlog = undefined;
        const next = session.waitingQueries.shift();
        if (next) this.#start(session, next, now);
      }
    }
  }

  #start(session: Session, query: HistoryQuery, now: number): void {
    const options = this.#options;
    if (!this.#enabled || !options) {
      this.#answerEmpty(session, query, true, now);
      return;
    }
    let page;
    try {
      page = readPage(options.reader, session.member.room, query);
    } catch (error) {
      this.#roster.count('history-read-error');
      this.#roster.log('warn', `cannot read the history of room ${session.member.room}: ${String(error)}`);
      this.#answerEmpty(session, query, false, now);
      return;
    }
    session.backlog = new BacklogFeed(query, page);
    this.feed(session, now);
  }

  /** A HistoryEnd with nothing before it: no history here (complete), or not now (incomplete: ask again). */
  #answerEmpty(session: Session, query: HistoryQuery, complete: boolean, now: number): void {
    const latestSeq = this.#enabled && this.#numbers ? this.#numbers.latest(session.member.room) : 0;
    const page = { messages: [], latestSeq, reachedSeq: complete ? latestSeq : query.seq, complete };
    this.#roster.enqueue(session, endFragment(query.requestId, page, this.#roster.nextMessageId()), 'bulk', now);
  }
}
