/**
 * Unread messages of the room shown: the messages of others after the read mark (the last message read, in the
 * conversation's order of time then id), the mentions of you among them, and where the "New" divider stands
 * when the reader comes back. Pure: entries in, counts out; what "read" means (the chat seen, the window focused,
 * the newest message in view) is the caller's.
 */
import type { ReadMarkView, UnreadView } from '../shared/panel-messages';

export type ReadMark = ReadMarkView;

/** What the counter needs of an entry: its place in the conversation, whether it counts, whether it mentions you. */
export interface CountedEntry {
  id: string;
  at: number;
  /** A message of someone else (own messages and system lines are never unread). */
  counts: boolean;
  mentionsMe: boolean;
}

/** Whether `entry` comes after `mark` in the conversation's order (time, then id, as the webview sorts). */
export function isAfter(entry: { id: string; at: number }, mark: ReadMark | undefined): boolean {
  if (mark === undefined) return true;
  return entry.at > mark.at || (entry.at === mark.at && entry.id > mark.id);
}

export class UnreadCounter {
  #mark: ReadMark | undefined;
  /** Unread messages: id → whether it mentions you. */
  readonly #unread = new Map<string, boolean>();
  /** The newest entry held: what "read everything" moves the mark to. */
  #newest: ReadMark | undefined;
  /** The mark as it was when the reader last came back with something unread: the "New" divider's place. */
  #since: ReadMark | undefined;

  get mark(): ReadMark | undefined {
    return this.#mark;
  }

  /**
   * Starts over with a room's entries and its stored mark. A room never read before (no mark) starts read up to
   * its newest entry: what was said before you first came is not "new" to you.
   */
  reset(entries: readonly CountedEntry[], mark: ReadMark | undefined): void {
    this.#unread.clear();
    this.#newest = undefined;
    this.#since = undefined;
    for (const entry of entries) this.#noteNewest(entry);
    this.#mark = mark ?? this.#newest;
    for (const entry of entries) if (entry.counts && isAfter(entry, this.#mark)) this.#unread.set(entry.id, entry.mentionsMe);
  }

  /** An entry arrived (live, backlog or catch-up) or changed; returns whether the counts changed. */
  add(entry: CountedEntry): boolean {
    this.#noteNewest(entry);
    const before = this.#unread.get(entry.id);
    if (!entry.counts || !isAfter(entry, this.#mark)) {
      return before !== undefined && this.#unread.delete(entry.id);
    }
    this.#unread.set(entry.id, entry.mentionsMe);
    return before !== entry.mentionsMe;
  }

  /** A message is gone (deleted by its sender): it no longer waits to be read. */
  remove(id: string): boolean {
    return this.#unread.delete(id);
  }

  /**
   * The reader came back (the chat seen again): the divider goes where the mark is, if anything is unread; else
   * there is no divider.
   */
  returned(): void {
    this.#since = this.#unread.size > 0 ? this.#mark : undefined;
  }

  /** Everything held is read; returns the new mark when it moved (to be stored), else undefined. */
  readAll(): ReadMark | undefined {
    this.#unread.clear();
    const newest = this.#newest;
    if (newest === undefined || !isAfter(newest, this.#mark)) return undefined;
    this.#mark = newest;
    return newest;
  }

  view(): UnreadView {
    let mentions = 0;
    for (const mentionsMe of this.#unread.values()) if (mentionsMe) mentions++;
    return { since: this.#since, count: this.#unread.size, mentions };
  }

  #noteNewest(entry: CountedEntry): void {
    if (isAfter(entry, this.#newest)) this.#newest = { id: entry.id, at: entry.at };
  }
}

/** The badge's and the status bar's words: our own, never a name or a text from the network. */
export function unreadSummary(view: UnreadView): string {
  const messages = `${view.count} unread message${view.count === 1 ? '' : 's'}`;
  return view.mentions === 0 ? messages : `${messages}, ${view.mentions} mentioning you`;
}

/** What the status bar adds after the room: " · 3", with " $(mention) 1" when one of them mentions you; "" when none. */
export function unreadBadge(unread: UnreadView): string {
  if (unread.count === 0) return '';
  return ` · ${unread.count}${unread.mentions > 0 ? ` $(mention) ${unread.mentions}` : ''}`;
}
