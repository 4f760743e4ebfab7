/**
 * The conversation as data: every entry the panel holds, ordered by (time, id) whatever order they arrive in
 * (live, backlog, catch-up, older pages), one per id. No DOM: the conversation renders a slice of it.
 */
import type { EntryView } from '../src/shared/panel-messages';

export function timeOf(entry: EntryView): number {
  return entry.kind === 'system' ? entry.at : entry.sentAt;
}

/** The order of the conversation: by time, then by id so that equal times sort the same everywhere. */
export function compareEntries(a: EntryView, b: EntryView): number {
  const byTime = timeOf(a) - timeOf(b);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export type UpsertResult = 'added' | 'replaced' | 'unchanged';

export class Timeline {
  #entries: EntryView[] = [];
  #byId = new Map<string, EntryView>();

  get length(): number {
    return this.#entries.length;
  }

  at(index: number): EntryView | undefined {
    return this.#entries[index];
  }

  get(id: string): EntryView | undefined {
    return this.#byId.get(id);
  }

  slice(start: number, end: number): EntryView[] {
    return this.#entries.slice(start, end);
  }

  /** Index of the entry with this id, or -1. */
  indexOfId(id: string): number {
    const entry = this.#byId.get(id);
    if (entry === undefined) return -1;
    const index = this.lowerBound(entry);
    return this.#entries[index] === entry ? index : -1;
  }

  /** First index whose entry sorts at or after `key`. */
  lowerBound(key: EntryView): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEntries(this.#entries[mid] as EntryView, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose entry sorts after `key`. */
  upperBound(key: EntryView): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEntries(this.#entries[mid] as EntryView, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Replaces everything. A later duplicate of an id replaces the earlier one; an entry equal to the one already
   * held keeps the held object, so the conversation can reuse its element.
   */
  reset(entries: readonly EntryView[]): void {
    const held = this.#byId;
    const byId = new Map<string, EntryView>();
    for (const entry of entries) {
      const before = held.get(entry.id);
      byId.set(entry.id, before !== undefined && sameEntry(before, entry) ? before : entry);
    }
    const next = [...byId.values()];
    // Snapshots and pages come oldest first: checking is one pass, sorting only when they did not.
    if (!isSorted(next)) next.sort(compareEntries);
    this.#entries = next;
    this.#byId = byId;
  }

  /** Inserts in order, or replaces the entry with the same id (moving it if its time changed). */
  upsert(entry: EntryView): UpsertResult {
    const held = this.#byId.get(entry.id);
    if (held !== undefined) {
      if (sameEntry(held, entry)) return 'unchanged';
      const index = this.indexOfId(entry.id);
      if (compareEntries(held, entry) === 0) {
        this.#entries[index] = entry;
      } else {
        this.#entries.splice(index, 1);
        this.#entries.splice(this.lowerBound(entry), 0, entry);
      }
      this.#byId.set(entry.id, entry);
      return 'replaced';
    }
    const at = this.lowerBound(entry);
    if (at === this.#entries.length) this.#entries.push(entry);
    else this.#entries.splice(at, 0, entry);
    this.#byId.set(entry.id, entry);
    return 'added';
  }

  /** Upserts a batch (an older page, a jump window); returns how many were new. */
  merge(entries: readonly EntryView[]): number {
    let added = 0;
    // Oldest first is what pages carry: each one then lands at the front in O(1) search steps per entry.
    for (const entry of entries) if (this.upsert(entry) === 'added') added++;
    return added;
  }

  /** Drops entries [start, end); returns them. */
  remove(start: number, end: number): EntryView[] {
    const removed = this.#entries.splice(start, Math.max(0, end - start));
    for (const entry of removed) this.#byId.delete(entry.id);
    return removed;
  }

  clear(): void {
    this.#entries = [];
    this.#byId.clear();
  }
}

function isSorted(entries: readonly EntryView[]): boolean {
  for (let i = 1; i < entries.length; i++) if (compareEntries(entries[i - 1] as EntryView, entries[i] as EntryView) > 0) return false;
  return true;
}

/** Whether two views of one entry would render the same (a re-sent snapshot usually repeats most of them). */
export function sameEntry(a: EntryView, b: EntryView): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind || a.id !== b.id) return false;
  if (a.kind === 'system' && b.kind === 'system') return a.text === b.text && a.at === b.at && a.tone === b.tone;
  if (a.kind === 'system' || b.kind === 'system') return false;
  const common =
    a.from === b.from &&
    a.own === b.own &&
    a.sentAt === b.sentAt &&
    a.legacy === b.legacy &&
    a.encrypted === b.encrypted &&
    a.delivery?.state === b.delivery?.state &&
    a.delivery?.progress === b.delivery?.progress &&
    a.delivery?.reason === b.delivery?.reason &&
    a.delivery?.discarded === b.delivery?.discarded;
  if (!common || extrasKey(a) !== extrasKey(b)) return false;
  if (a.kind === 'text' && b.kind === 'text') return a.text === b.text;
  if (a.kind === 'image' && b.kind === 'image') {
    return a.image.src === b.image.src && a.image.width === b.image.width && a.image.height === b.image.height && a.image.bytes === b.image.bytes;
  }
  return false;
}

/** Replies, reactions, mentions, edits and deletes as one comparable string (most messages have none: '[]'). */
function extrasKey(entry: Extract<EntryView, { kind: 'text' | 'image' }>): string {
  const { mentions, replyTo, reactions, editedAt, deleted } = entry;
  if (mentions === undefined && replyTo === undefined && reactions === undefined && editedAt === undefined && deleted === undefined) return '[]';
  return JSON.stringify([mentions, replyTo, reactions, editedAt, deleted]);
}
