/**
 * What the client knows of the room's history, and what it asks the relay for. Pure: events in, requests out.
 *
 * `covered` is the exact resume point: every message numbered up to it has arrived (live or in a page) or was not
 * for us (our own). It moves on a join's HistoryEnd and along the chain the relay numbers live messages with: each
 * says its number and the number of the message sent to us before it, so a message overtaken in flight (a text
 * passing an image) or lost with a session is a visible gap, and catching up asks for exactly what is after
 * `covered`.
 */
import { HistoryDirection } from '../protocol/payload';

/** `ChatClientOptions.history`: what to ask for on each (re)join. */
export interface HistoryOptions {
  /** On the first join, the last this many messages (0: none, only where the room is). */
  initial: number;
  /** The last number the caller already holds (a previous run): on the first join, everything after it instead. */
  after?: number;
}

/** What `requestHistory` resolves to. */
export interface HistoryPageResult {
  /** Messages of the page shown as `message`/`image` events (those already shown are not counted). */
  count: number;
  latestSeq: number;
  /** No more to fetch that way (nothing older, or nothing newer). */
  complete: boolean;
}

/** The backlog of a join is all there: `backlog-end`. */
export interface BacklogEnd {
  count: number;
  latestSeq: number;
}

export interface HistoryQuery {
  requestId: number;
  direction: HistoryDirection;
  seq: number;
  limit: number;
}

/** The most a page may carry (the relay's MAX_PAGE_MESSAGES): what catching up asks for per page. */
export const HISTORY_PAGE_MESSAGES = 200;
/** Numbers of live messages held above `covered` (messages in flight, or one lost gap): bounded. */
const MAX_CHAIN = 10_000;

interface Pending {
  query: HistoryQuery;
  /** `join`: the backlog of a join (coverage moves); `user`: requestHistory. */
  purpose: 'join' | 'user';
  /** More than a page wanted on the first join: this request only learns the latest number, pages follow. */
  wanted?: number;
  shown: number;
  settle?(result: HistoryPageResult): void;
}

export interface EndOutcome {
  /** Requests to send now (the next page of a catch-up). */
  send: HistoryQuery[];
  backlogEnd?: BacklogEnd;
}

export class HistoryTracker {
  readonly #options: HistoryOptions | undefined;
  #covered: number | undefined;
  readonly #chain = new Map<number, number>();
  /** Requests sent and not answered, oldest first (the relay answers in order). */
  #pending: Pending[] = [];
  #nextId = 1;
  /** Messages shown for the current join's backlog, over all its pages. */
  #joinShown = 0;

  constructor(options: HistoryOptions | undefined) {
    this.#options = options;
    if (options?.after !== undefined && options.after >= 0) this.#covered = Math.floor(options.after);
  }

  /** The resume point (undefined until the first join's backlog is known). */
  get covered(): number | undefined {
    return this.#covered;
  }

  /**
   * The client is in the room (first join or rejoin): what to ask. Unanswered requests are asked again (the session
   * that carried them may be gone with a restarted relay); the join's own request catches up from `covered`, or,
   * the first time, asks for the last `initial` messages.
   */
  joined(): HistoryQuery[] {
    const again = this.#pending.filter((pending) => pending.purpose === 'user').map((pending) => pending.query);
    this.#pending = this.#pending.filter((pending) => pending.purpose === 'user');
    if (!this.#options) return again;
    this.#joinShown = 0;
    const initial = Math.max(0, Math.floor(this.#options.initial));
    if (this.#covered === undefined && initial > HISTORY_PAGE_MESSAGES) {
      // More than one page, oldest first: learn where the room is, then read forward from `initial` before it.
      const query = this.#query(HistoryDirection.Before, 0, 0);
      this.#pending.push({ query, purpose: 'join', shown: 0, wanted: initial });
      return [...again, query];
    }
    const query =
      this.#covered === undefined
        ? this.#query(HistoryDirection.Before, 0, initial)
        : this.#query(HistoryDirection.After, this.#covered, HISTORY_PAGE_MESSAGES);
    this.#pending.push({ query, purpose: 'join', shown: 0 });
    return [...again, query];
  }

  /** A request of the caller's (scrolling up, or catching up by hand); `settle` is called with its page. */
  request(direction: HistoryDirection, seq: number, limit: number, settle: (result: HistoryPageResult) => void): HistoryQuery {
    const query = this.#query(direction, seq, limit);
    this.#pending.push({ query, purpose: 'user', shown: 0, settle });
    return query;
  }

  /** A live message's number and the one before it. */
  numbered(seq: number, previousSeq: number): void {
    if (this.#covered !== undefined && previousSeq <= this.#covered) {
      if (seq > this.#covered) this.#covered = seq;
      this.#advance();
      return;
    }
    this.#chain.set(seq, previousSeq);
    if (this.#chain.size > MAX_CHAIN) this.#chain.delete(this.#chain.keys().next().value as number);
  }

  /** A page message was shown: it counts for the request being answered (the oldest one). */
  shown(): void {
    const head = this.#pending[0];
    if (!head) return;
    head.shown++;
    if (head.purpose === 'join') this.#joinShown++;
  }

  /** A HistoryEnd: settles its request and says what follows. `reachedSeq`: how far the page went. */
  ended(requestId: number, latestSeq: number, complete: boolean, reachedSeq: number): EndOutcome {
    const index = this.#pending.findIndex((pending) => pending.query.requestId === requestId);
    if (index < 0) return { send: [] };
    const [pending] = this.#pending.splice(index, 1) as [Pending];
    if (pending.purpose === 'user') {
      pending.settle?.({ count: pending.shown, latestSeq, complete });
      return { send: [] };
    }
    const { query } = pending;
    if (query.direction === HistoryDirection.Before) {
      // Every live message numbered up to latestSeq was queued for us before this answer, and has arrived.
      this.#covered = Math.max(this.#covered ?? 0, latestSeq);
    } else if (this.#covered !== undefined && query.seq <= this.#covered) {
      this.#covered = Math.max(this.#covered, complete ? latestSeq : reachedSeq);
    }
    this.#advance();
    if (pending.wanted !== undefined && latestSeq > 0) {
      const next = this.#query(HistoryDirection.After, Math.max(0, latestSeq - pending.wanted), HISTORY_PAGE_MESSAGES);
      this.#pending.push({ query: next, purpose: 'join', shown: 0 });
      return { send: [next] };
    }
    if (query.direction === HistoryDirection.After && !complete) {
      // Where this page stopped (the resume point may already be past it, when reading forward to it).
      const next = this.#query(HistoryDirection.After, Math.max(query.seq, reachedSeq), HISTORY_PAGE_MESSAGES);
      this.#pending.push({ query: next, purpose: 'join', shown: 0 });
      return { send: [next] };
    }
    return { send: [], backlogEnd: { count: this.#joinShown, latestSeq } };
  }

  /** The client closed: every request still waiting is settled with what it got. */
  close(): void {
    for (const pending of this.#pending.splice(0)) pending.settle?.({ count: pending.shown, latestSeq: this.#covered ?? 0, complete: false });
  }

  #query(direction: HistoryDirection, seq: number, limit: number): HistoryQuery {
    const requestId = this.#nextId;
    this.#nextId = this.#nextId >= 0xffff_ffff ? 1 : this.#nextId + 1;
    return { requestId, direction, seq: Math.max(0, Math.min(0xffff_ffff, Math.floor(seq))), limit: Math.max(0, Math.min(0xffff, Math.floor(limit))) };
  }

  /** Follows the chain from `covered` as far as it is unbroken. */
  #advance(): void {
    let covered = this.#covered;
    if (covered === undefined) return;
    for (let moved = true; moved; ) {
      moved = false;
      for (const [seq, previous] of this.#chain) {
        if (seq <= covered) this.#chain.delete(seq);
        else if (previous <= covered) {
          covered = seq;
          this.#chain.delete(seq);
          moved = true;
        }
      }
    }
    this.#covered = covered;
  }
}
