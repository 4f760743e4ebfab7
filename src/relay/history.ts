/**
 * The relay's side of history, pure: numbering each room's messages, reading a page for a HistoryRequest, and
 * feeding that page to one member a little at a time. The core reads the store through `HistoryReader` and hands
 * what it numbered to the edge (`append`), which commits each turn's batch before that turn's datagrams leave:
 * an acknowledgement of a message's last fragment never reaches its sender before the message is durable.
 */
import { MAX_FRAGMENT_BYTES } from '../protocol/constants';
import { splitPayload } from '../protocol/fragment';
import { encodePayload, HistoryDirection } from '../protocol/payload';
import { Flag, PacketType, type MessageFragment as Fragment } from '../protocol/types';
import type { HistoryStore, StoredMessage } from '../history/store';

/** What the core may ask of the store: reads only (appends and pins go through the edge, in batches). */
export type HistoryReader = Pick<HistoryStore, 'after' | 'before' | 'latestSeq' | 'roomVerifier'>;

/** Most messages one page carries, whatever the member asks: a page is one request's worth of pacing. */
export const MAX_PAGE_MESSAGES = 200;
/** Stored bytes a page stops at (it always carries at least one message, however large). */
export const MAX_PAGE_BYTES = 1 << 20;
/**
 * Backlog bytes (fragments with headers) kept waiting in a member's send queue: the rest of the page is fed as
 * the member acknowledges, so live messages (queued ahead of it, or behind at most this much) are never starved.
 */
export const BACKLOG_QUEUED_BYTES = 64 * 1024;
/** Requests a member may have waiting behind the page being fed; more are answered at once with nothing. */
export const MAX_WAITING_REQUESTS = 4;

export interface HistoryQuery {
  requestId: number;
  direction: HistoryDirection;
  seq: number;
  limit: number;
}

export interface Page {
  messages: StoredMessage[];
  latestSeq: number;
  /** After: the last number the page covers (its last message's, or the request's when empty); Before: its first message's (0: none). */
  reachedSeq: number;
  /** After: nothing newer than the page is stored. Before: nothing older. */
  complete: boolean;
}

/**
 * Rooms whose latest number is kept: far more than the relay's rooms at once (256 by default), so a room leaves
 * only after thousands of others were used since; its number is read from the store again when it comes back.
 */
const MAX_NUMBERED_ROOMS = 4096;

/**
 * How far numbering skips when a room's latest number is read from the store: more messages than a room can
 * receive in one commit window (≤ 40 ms), so a number forwarded live but lost with an uncommitted turn is never
 * given again. 2^16 per restart leaves 65,536 restarts of a room in the 32-bit numbers of the wire.
 */
export const RESTART_SEQ_GAP = 1 << 16;

/** Each room's next number, read once from the store and then kept here (the relay is the only writer). */
export class RoomNumbers {
  readonly #reader: HistoryReader;
  readonly #latest = new Map<string, number>();

  constructor(reader: HistoryReader) {
    this.#reader = reader;
  }

  /** The highest number given in `room` (stored or about to be). */
  latest(room: string): number {
    let latest = this.#latest.get(room);
    if (latest === undefined) {
      // Read from the store (at start, or when the room comes back): numbers given live but not yet committed when
      // the relay stopped may be missing there, so skip past any that could have been, never giving one twice.
      const stored = this.#reader.latestSeq(room);
      latest = stored > 0 ? stored + RESTART_SEQ_GAP : 0;
      this.#latest.set(room, latest);
      if (this.#latest.size > MAX_NUMBERED_ROOMS) this.#latest.delete(this.#latest.keys().next().value as string);
    }
    return latest;
  }

  next(room: string): number {
    const seq = this.latest(room) + 1;
    // Most recently used last, so the least recently used goes first.
    this.#latest.delete(room);
    this.#latest.set(room, seq);
    if (this.#latest.size > MAX_NUMBERED_ROOMS) this.#latest.delete(this.#latest.keys().next().value as string);
    return seq;
  }
}

/**
 * The page a request asks for, read one message at a time so that no read holds more than one large image
 * beyond the page's byte bound.
 */
export function readPage(reader: HistoryReader, room: string, query: HistoryQuery): Page {
  const limit = Math.min(Math.max(0, query.limit), MAX_PAGE_MESSAGES);
  const latestSeq = reader.latestSeq(room);
  const messages: StoredMessage[] = [];
  let bytes = 0;
  const full = (): boolean => messages.length >= limit || bytes >= MAX_PAGE_BYTES;
  if (query.direction === HistoryDirection.After) {
    let cursor = query.seq;
    while (!full()) {
      const [next] = reader.after(room, cursor, 1);
      if (!next) break;
      messages.push(next);
      bytes += next.payload.byteLength;
      cursor = next.seq;
    }
    const last = messages[messages.length - 1];
    const complete = last === undefined ? limit > 0 || cursor >= latestSeq : last.seq >= latestSeq;
    return { messages, latestSeq, reachedSeq: complete ? Math.max(cursor, latestSeq) : cursor, complete };
  }
  // Before 0 means "the newest".
  let cursor = query.seq === 0 ? latestSeq + 1 : query.seq;
  let exhausted = false;
  while (!full()) {
    const [previous] = reader.before(room, cursor, 1);
    if (!previous) {
      exhausted = true;
      break;
    }
    messages.push(previous);
    bytes += previous.payload.byteLength;
    cursor = previous.seq;
  }
  if (!exhausted && limit > 0) exhausted = cursor <= 1 || reader.before(room, cursor, 1).length === 0;
  messages.reverse();
  return { messages, latestSeq, reachedSeq: messages[0]?.seq ?? 0, complete: exhausted };
}

/** One stored message as the fragments of a Stored message (origin 0: the relay), sealed when it was. */
export function storedFragments(message: StoredMessage, messageId: bigint): Fragment[] {
  const storedType = message.type === PacketType.Image ? PacketType.Image : PacketType.Text;
  const payload = encodePayload({
    type: PacketType.Stored,
    seq: message.seq,
    storedAt: message.storedAt,
    storedType,
    messageId: message.messageId,
    from: message.from,
    memberKey: message.memberKey,
    payload: message.payload,
  });
  const chunks = splitPayload(payload, MAX_FRAGMENT_BYTES);
  // Only sealed rooms have member keys: the flag tells the member to open the payload.
  const flags = Flag.Reliable | (message.memberKey ? Flag.Encrypted : 0);
  return chunks.map((chunk, index) => ({
    type: PacketType.Stored,
    flags,
    memberId: 0,
    messageId,
    fragmentIndex: index,
    fragmentCount: chunks.length,
    chunk,
  }));
}

/** A page on its way to one member: what is left of it, and the HistoryEnd that follows it. */
export class BacklogFeed {
  readonly query: HistoryQuery;
  readonly #page: Page;
  #next = 0;
  #fragments: Fragment[] = [];
  #ended = false;

  constructor(query: HistoryQuery, page: Page) {
    this.query = query;
    this.#page = page;
  }

  get done(): boolean {
    return this.#ended;
  }

  /**
   * The next fragment to queue (fragments of stored messages in order, then the HistoryEnd), or undefined when
   * all went. `newId` names each message the relay sends.
   */
  take(newId: () => bigint): Fragment | undefined {
    if (this.#ended) return undefined;
    if (this.#fragments.length === 0) {
      const message = this.#page.messages[this.#next];
      if (message) {
        this.#next++;
        this.#fragments = storedFragments(message, newId());
      } else {
        this.#ended = true;
        return endFragment(this.query.requestId, this.#page, newId());
      }
    }
    return this.#fragments.shift();
  }
}

/** The HistoryEnd of a page (also the whole answer to a request that cannot be served). */
export function endFragment(requestId: number, page: Page, messageId: bigint): Fragment {
  const chunk = encodePayload({
    type: PacketType.HistoryEnd,
    requestId,
    count: page.messages.length,
    latestSeq: page.latestSeq,
    reachedSeq: page.reachedSeq,
    complete: page.complete,
  });
  return { type: PacketType.HistoryEnd, flags: Flag.Reliable, memberId: 0, messageId, fragmentIndex: 0, fragmentCount: 1, chunk };
}

/** The trailer of a numbered last fragment: this message's number and the previous one this member was sent. */
export function numberedCopy(fragment: Fragment, roomSeq: number, previousSeq: number): Fragment {
  return {
    type: fragment.type,
    flags: fragment.flags | Flag.Numbered,
    memberId: fragment.memberId,
    messageId: fragment.messageId,
    fragmentIndex: fragment.fragmentIndex,
    fragmentCount: fragment.fragmentCount,
    chunk: fragment.chunk,
    roomSeq,
    previousSeq,
  };
}
