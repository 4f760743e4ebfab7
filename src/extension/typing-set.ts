/**
 * Who is typing: each member heard typing is shown until TYPING_SHOWN_MS after the last time, or until their
 * message arrives. Pure: time is an argument, and `nextExpiry` says when the caller's one timer should look again.
 */

/**
 * How long (ms) "NAME is typing…" stays after the last typing signal: a client sends one at most every 3 s while
 * its user types (unreliably), so two missed signals still keep the line, and a user who stopped loses it soon.
 */
export const TYPING_SHOWN_MS = 6000;
/** Most names held: a room of 256 all typing at once is shown as "several people are typing". */
const MAX_TYPING = 256;

export class TypingSet {
  readonly #until = new Map<string, number>();
  readonly #shownMs: number;

  constructor(shownMs = TYPING_SHOWN_MS) {
    this.#shownMs = shownMs;
  }

  /** `name` typed at `now` (ms); returns whether the names shown changed. */
  heard(name: string, now: number): boolean {
    const known = this.#until.has(name);
    if (!known && this.#until.size >= MAX_TYPING) return false;
    this.#until.set(name, now + this.#shownMs);
    return !known;
  }

  /** `name` sent their message, or left: no longer typing. Returns whether that changed anything. */
  stopped(name: string): boolean {
    return this.#until.delete(name);
  }

  /** Drops the names whose time ran out by `now`; returns whether any did. */
  expire(now: number): boolean {
    let changed = false;
    for (const [name, until] of this.#until) {
      if (until <= now) {
        this.#until.delete(name);
        changed = true;
      }
    }
    return changed;
  }

  /** Who is typing at `now`, in the order they started. */
  names(now: number): string[] {
    return [...this.#until].filter(([, until]) => until > now).map(([name]) => name);
  }

  /** When the next name runs out (ms), or undefined when nobody is typing. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const until of this.#until.values()) if (next === undefined || until < next) next = until;
    return next;
  }

  clear(): boolean {
    const had = this.#until.size > 0;
    this.#until.clear();
    return had;
  }
}
