/**
 * The chat session's use of the local history (src/history): the room shown comes from it first (before any relay
 * answers), what is shown is written to it (in batches, off the extension host's thread), copies that arrive again
 * (backlog, catch-up, resends) are recognised, and the panel's requests for older entries, search and jumps are
 * answered from it, then from the relay when it holds nothing older. No vscode import; every failure of the store
 * is logged and costs only the history, never the chat.
 */
import type { BacklogEnd, ChatClient, ChatImage, ChatText } from '../client/client';
import type { HistoryEntry, HistoryHit, LocalRetention, RoomMarks } from '../history/local-entry';
import { messageKey } from '../history/local-store';
import { LocalHistoryClient, LocalHistoryError } from '../history/local-client';
import type { SearchHitView } from '../shared/panel-messages';
import type { StoredEntry } from './conversation-history';
import { messageIdOf, received, toHistory, toStored } from './history-entries';
import { INITIAL_BACKLOG } from './relay-history';

export interface HistorySettings {
  enabled: boolean;
  retention: LocalRetention;
}

/**
 * The local history a session keeps: its SQLite file (opened in a worker thread on first use), the worker script,
 * its settings (read when a room opens and at each write) and the folders whose image files are its own to delete.
 */
export interface HistoryConfig {
  file: string;
  workerPath?: string;
  settings: () => HistorySettings;
  ownedFolders: () => string[];
}

export interface SessionHistoryOptions {
  /** Undefined: no local history. */
  config: HistoryConfig | undefined;
  /** What the panel holds in memory of an entry, to place a cursor and keep a live delivery state. */
  timeOf: (id: string) => number | undefined;
  /** The client's resume point in the relay's history (every message up to it arrived), saved with each write. */
  covered: () => number | undefined;
  log: (level: 'info' | 'warn', message: string) => void;
}

/** Where a received message goes: shown (and kept), only kept (a page older than what is shown), or nowhere. */
export type Route = 'show' | 'keep' | 'known';

/** The relay-side fields of a received message (its place in the relay's history). */
export interface RelayPlace {
  backlog?: boolean;
  seq?: number;
}

/** Entries the panel gets from the history when a room opens. */
export const OPEN_ENTRIES = 200;
/** Message keys held in memory to recognise copies without a round trip (about 40 bytes each). */
const KNOWN_KEYS = 20_000;
/** Writes wait this long to go in one transaction with the next ones (ms): a burst of messages is one commit. */
const FLUSH_DELAY_MS = 50;
/** Entries before and after a search hit that a jump shows. */
const JUMP_CONTEXT = 100;
/** Search results returned at most. */
const SEARCH_HITS = 50;

export class SessionHistory {
  readonly #options: SessionHistoryOptions;
  #key: string | undefined;
  #marks: RoomMarks | undefined;
  readonly #known = new Set<string>();
  /** Sequence numbers of messages routed to the panel, until its `onAdded` writes them. */
  readonly #seqs = new Map<string, number>();
  #queue: HistoryEntry[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  /** While an older page is fetched from the relay: the sequence number it is older than. */
  #olderThanSeq: number | undefined;
  #olderLocally = false;
  #client: LocalHistoryClient | undefined;
  /** Why the store cannot be used in this window (another window's extension host owns the file, …): said once. */
  #unavailable: string | undefined;
  /** Requests sent and not yet answered: close waits for them. */
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(options: SessionHistoryOptions) {
    this.#options = options;
  }

  /**
   * The newest entries of the room opened last, unless `stillWanted` says a join came first; undefined: nothing
   * to show.
   */
  async restoreLast(now: number, stillWanted: () => boolean): Promise<StoredEntry[] | undefined> {
    const key = await this.lastRoom();
    return key && stillWanted() && !this.#key ? this.open(key, now) : undefined;
  }

  /** Opens `key` for a join: its entries when it is another room than the one open, undefined when it is the same. */
  async openForJoin(key: string, now: number): Promise<StoredEntry[] | undefined> {
    if (key !== this.#key) return (await this.open(key, now)) ?? [];
    await this.refresh();
    return undefined;
  }

  /**
   * Follows a joined client: at the end of each backlog, the resume point is the client's (every message up to it
   * arrived; the relay's latest number may be past a gap), and a first backlog shorter than asked for reached the
   * start of the relay's history. `changed` then re-posts the state (whether there is older history).
   */
  follow(client: ChatClient, askedAfter: number, changed: () => void): void {
    const clientOnBacklogEnd = (info: BacklogEnd): void => {
      this.noteRelay({ latestSeq: client.latestSeq ?? info.latestSeq, startReached: askedAfter === 0 && info.count < INITIAL_BACKLOG ? true : undefined });
      changed();
    };
    client.on('backlog-end', clientOnBacklogEnd);
  }

  /** A client is let go: its resume point is saved (it is where the next run's catch-up starts). */
  noteCovered(covered: number | undefined): void {
    if (covered !== undefined && this.#marks && covered !== this.#marks.latestSeq) this.noteRelay({ latestSeq: covered });
  }

  /** Writes what waits, waits for every answer, then ends the worker. */
  async close(): Promise<void> {
    await this.flush();
    await Promise.allSettled([...this.#inflight]);
    await this.#client?.close();
    this.#client = undefined;
  }

  /** The room whose history is open ("host:port/room"). */
  get key(): string | undefined {
    return this.#key;
  }

  /** Whether scrolling up can load more: the store holds older entries, or the relay may. */
  hasOlder(joined: boolean): boolean {
    const marks = this.#marks;
    if (this.#olderLocally) return true;
    return joined && marks !== undefined && !marks.relayStartReached && (marks.oldestSeq ?? 0) > 1;
  }

  /** The resume point catch-up asks from (0: none known, the join asks for the latest messages). */
  get latestSeq(): number {
    return this.#marks?.latestSeq ?? 0;
  }

  /** The room opened last, for the panel to show before anyone joins. */
  async lastRoom(): Promise<string | undefined> {
    const store = this.#store();
    return store ? this.#try(store.request({ op: 'lastRoom' }), undefined) : undefined;
  }

  /** Opens a room's history: its newest entries (oldest first) for the panel, or undefined without a store. */
  async open(key: string, now: number): Promise<StoredEntry[] | undefined> {
    await this.flush();
    this.#key = key;
    this.#known.clear();
    this.#seqs.clear();
    this.#marks = undefined;
    this.#olderLocally = false;
    const store = this.#store();
    if (!store) return undefined;
    const [page, marks, keys] = await Promise.all([
      this.#try(store.request({ op: 'latest', key, limit: OPEN_ENTRIES }), undefined),
      this.#try(store.request({ op: 'marks', key }), undefined),
      this.#try(store.request({ op: 'messageKeys', key, limit: KNOWN_KEYS }), []),
      this.#try(store.request({ op: 'touch', key, now }), undefined),
    ]);
    if (this.#key !== key || !page) return undefined;
    this.#marks = marks;
    this.#olderLocally = page.hasOlder;
    for (const known of keys) this.#remember(known);
    return page.entries.map((entry) => toStored(entry));
  }

  /** Re-reads where the open room stands at its relay (before a rejoin of the room shown). */
  async refresh(): Promise<void> {
    const key = this.#key;
    const store = this.#store();
    if (!key || !store) return;
    await this.flush();
    this.#marks = (await this.#try(store.request({ op: 'marks', key }), undefined)) ?? this.#marks;
  }

  /** Decides where a received message goes; a copy of one held only brings its sequence number. */
  route(message: ChatText | ChatImage, place: RelayPlace): Route {
    const key = messageKey(message.from, message.id);
    if (this.#known.has(key)) {
      if (place.seq !== undefined) this.#enqueue(toHistory(received(message, undefined), place.seq));
      return 'known';
    }
    if (place.seq !== undefined) {
      // Taken by `added` when the panel shows the message; one the panel drops (a copy it shows already) stays.
      if (this.#seqs.size >= KNOWN_KEYS) this.#seqs.clear();
      this.#seqs.set(key, place.seq);
    }
    if (place.backlog && this.#olderThanSeq !== undefined && place.seq !== undefined && place.seq < this.#olderThanSeq) return 'keep';
    return 'show';
  }

  /** The panel showed an entry: it goes into the history (system lines only when `keep`). */
  added(entry: StoredEntry, keep: boolean): void {
    if (entry.kind === 'system' && !keep) return;
    this.keep(entry);
  }

  /** A message older than what is shown (an older page from the relay): kept, not shown. */
  keep(entry: StoredEntry): void {
    const key = entry.kind === 'system' ? undefined : messageKey(entry.from, messageIdOf(entry.id));
    const seq = key === undefined ? undefined : this.#seqs.get(key);
    if (key !== undefined) {
      this.#seqs.delete(key);
      this.#remember(key);
    }
    this.#held(seq);
    this.#enqueue(toHistory(entry, seq));
  }

  changed(id: string, change: { delivered?: boolean; imageFile?: string | null }): void {
    const key = this.#key;
    const store = this.#store();
    if (!key || !store) return;
    void this.flush().then(() => this.#try(store.request({ op: 'update', key, id, change }), false));
  }

  /** A message changed by its sender (an edit, a delete) or a reaction on it: the stored copy follows. */
  annotate(change: HistoryAnnotation): void {
    const key = this.#key;
    const store = this.#store();
    if (!key || !store) return;
    // After the pending appends: the message it names is written first.
    void this.flush().then(async (): Promise<void> => {
      switch (change.op) {
        case 'edit':
          await this.#try(store.request({ op: 'edit', key, from: change.from, messageId: change.messageId, text: change.text, editedAt: change.editedAt }), false);
          return;
        case 'remove':
          await this.#try(store.request({ op: 'remove', key, from: change.from, messageId: change.messageId }), false);
          return;
        case 'react':
          await this.#try(store.request({ op: 'react', key, messageId: change.messageId, from: change.from, emoji: change.emoji, on: change.on }), undefined);
          return;
        default:
          assertNeverChange(change);
      }
    });
  }

  /** The relay said where its history stands (after a join's backlog). */
  noteRelay(note: { latestSeq?: number; startReached?: boolean }): void {
    const key = this.#key;
    const store = this.#store();
    if (!key || !store || !this.#marks) return;
    if (note.latestSeq !== undefined) this.#marks.latestSeq = note.latestSeq;
    if (note.startReached) this.#marks.relayStartReached = true;
    void this.#try(store.request({ op: 'noteRelay', key, ...note }), undefined);
  }

  /**
   * Entries older than `beforeId`: from the store, else (when `fetchOlder` is given and the relay may hold
   * more) after asking the relay for the page before the oldest sequence number held.
   */
  async older(
    beforeId: string,
    limit: number,
    fetchOlder: ((beforeSeq: number, limit: number) => Promise<{ complete: boolean; count: number }>) | undefined,
  ): Promise<{ entries: StoredEntry[]; hasOlder: boolean }> {
    const key = this.#key;
    const store = this.#store();
    if (!key || !store) return { entries: [], hasOlder: false };
    const read = async (): Promise<StoredEntry[]> => {
      await this.flush();
      const page = await this.#try(store.request({ op: 'before', key, id: beforeId, limit, at: this.#options.timeOf(beforeId) }), undefined);
      this.#olderLocally = page?.hasOlder ?? false;
      return (page?.entries ?? []).map((entry) => toStored(entry));
    };
    const local = await read();
    if (local.length > 0 || !fetchOlder) return { entries: local, hasOlder: this.hasOlder(fetchOlder !== undefined) };
    this.#marks = (await this.#try(store.request({ op: 'marks', key }), undefined)) ?? this.#marks;
    const oldest = this.#marks?.oldestSeq;
    if (!this.hasOlder(true) || oldest === undefined) return { entries: [], hasOlder: false };
    this.#olderThanSeq = oldest;
    try {
      const answer = await fetchOlder(oldest, limit);
      if (answer.complete || answer.count === 0) this.noteRelay({ startReached: true });
    } catch (error) {
      this.#options.log('warn', `history: the relay did not send older messages: ${(error as Error).message}`);
      return { entries: [], hasOlder: this.hasOlder(true) };
    } finally {
      this.#olderThanSeq = undefined;
    }
    const fetched = await read();
    return { entries: fetched, hasOlder: this.hasOlder(true) };
  }

  async search(query: string): Promise<SearchHitView[]> {
    const key = this.#key;
    const store = this.#store();
    if (!key || !store) return [];
    await this.flush();
    const hits: HistoryHit[] = await this.#try(store.request({ op: 'search', key, query, limit: SEARCH_HITS }), []);
    return hits.map((hit) => ({ id: hit.id, from: hit.from, sentAt: hit.sentAt, excerpt: hit.excerpt, matches: hit.matches }));
  }

  /** The entries around `id`, oldest first; undefined when the store does not hold it. */
  async around(id: string): Promise<{ entries: StoredEntry[]; hasOlder: boolean; hasNewer: boolean } | undefined> {
    const key = this.#key;
    const store = this.#store();
    if (!key || !store) return undefined;
    await this.flush();
    const page = await this.#try(store.request({ op: 'around', key, id, before: JUMP_CONTEXT, after: JUMP_CONTEXT }), undefined);
    return page ? { entries: page.entries.map((entry) => toStored(entry)), hasOlder: page.hasOlder, hasNewer: page.hasNewer } : undefined;
  }

  /** Forgets the open room's history and deletes its image files that lie in the folders that are its own. */
  async clear(): Promise<{ removed: number; filesDeleted: number } | undefined> {
    const key = this.#key;
    const store = this.#store();
    if (!key || !store) return undefined;
    await this.flush();
    const result = await store.request({ op: 'clear', key, ownedFolders: this.#options.config?.ownedFolders() ?? [] });
    this.#known.clear();
    this.#olderLocally = false;
    if (this.#marks) this.#marks = { ...this.#marks, oldestSeq: undefined, relayStartReached: false, count: 0 };
    return result;
  }

  /** Sends what is waiting to be written; resolves once the store has it. */
  async flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const key = this.#key;
    const store = this.#store();
    const entries = this.#queue;
    this.#queue = [];
    if (!key || !store || (entries.length === 0 && this.#options.covered() === this.#marks?.latestSeq)) return;
    const retention = this.#options.config?.settings().retention;
    if (!retention) return;
    const covered = this.#options.covered();
    const writes: Array<Promise<unknown>> = [this.#try(store.request({ op: 'append', key, entries, now: Date.now(), retention }), [])];
    if (covered !== undefined && this.#marks && covered !== this.#marks.latestSeq) {
      this.#marks.latestSeq = covered;
      writes.push(this.#try(store.request({ op: 'noteRelay', key, latestSeq: covered }), undefined));
    }
    await Promise.all(writes);
  }

  /** Keeps at most 2 × KNOWN_KEYS keys, the newest: older copies are still refused by the store itself. */
  #remember(key: string): void {
    this.#known.delete(key);
    this.#known.add(key);
    if (this.#known.size <= 2 * KNOWN_KEYS) return;
    for (const old of this.#known) {
      this.#known.delete(old);
      if (this.#known.size <= KNOWN_KEYS) break;
    }
  }

  /** A message numbered `seq` is held now: the oldest number held is what an older page is asked before. */
  #held(seq: number | undefined): void {
    const marks = this.#marks;
    if (seq === undefined || !marks) return;
    marks.oldestSeq = marks.oldestSeq === undefined ? seq : Math.min(marks.oldestSeq, seq);
    marks.count++;
  }

  #enqueue(entry: HistoryEntry): void {
    if (!this.#key || !this.#store()) return;
    this.#queue.push(entry);
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
    this.#flushTimer.unref();
  }

  #store(): LocalHistoryClient | undefined {
    const config = this.#options.config;
    if (!config?.settings().enabled || this.#unavailable !== undefined) return undefined;
    this.#client ??= new LocalHistoryClient({ file: config.file, workerPath: config.workerPath, log: this.#options.log });
    return this.#client;
  }

  async #try<T>(request: Promise<T>, fallback: T): Promise<T> {
    this.#inflight.add(request);
    try {
      return await request;
    } catch (error) {
      if (error instanceof LocalHistoryError && error.code === 'unavailable') {
        if (this.#unavailable === undefined) this.#options.log('warn', `history: ${error.message}; the chat goes on without a local history`);
        this.#unavailable = error.message;
      } else {
        this.#options.log('warn', `history: ${(error as Error).message}`);
      }
      return fallback;
    } finally {
      this.#inflight.delete(request);
    }
  }
}

/** What annotate() keeps: the same words as the store's requests, without the room's key. */
export type HistoryAnnotation =
  | { op: 'edit'; from: string; messageId: string; text: string; editedAt: number }
  | { op: 'remove'; from: string; messageId: string }
  | { op: 'react'; messageId: string; from: string; emoji: string; on: boolean };

function assertNeverChange(change: never): never {
  throw new Error(`unknown history change ${JSON.stringify(change)}`);
}
