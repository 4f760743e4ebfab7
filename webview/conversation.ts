/**
 * The conversation: a `role="log"` list showing a slice of the timeline (every entry the panel holds, in order).
 * Only the rows near the reader are in the DOM, at most MAX_RENDERED_ROWS: the slice grows a step at a time
 * as the reader nears one of its ends and loses rows at the far end, with the reader's view kept in place.
 * At the top of the timeline it asks the host for older entries (`loadOlder`, one request at a time). Follows
 * the newest message while the reader is at the bottom; when they have scrolled up, new messages raise a
 * "new messages" button instead of moving the text under their eyes. After a jump (a search hit) it shows the
 * window around the hit, detached from the newest entries until "Back to latest". The scroll position itself
 * (distances, keeping the reader's row still) is log-scroll.ts's.
 */
import type { DeliveryView, EntryView, ReadMarkView } from '../src/shared/panel-messages';
import { ConversationKeys } from './conversation-keys';
import { h } from './dom';
import { routeEntryClick, type EntryActions } from './entry-view';
import { highlightWords, queryWords } from './highlight';
import { HistoryEdge } from './history-edge';
import { LatestButtons } from './latest-buttons';
import { LogScroll } from './log-scroll';
import { isNew, Rows } from './rows';
import { compareEntries, Timeline } from './timeline';

/** Rows rendered at first paint and after going to the newest: a few screens' worth. */
const INITIAL_ROWS = 40;
/** Most rows in the DOM at once; farther ones are dropped from the view (the timeline keeps them). */
export const MAX_RENDERED_ROWS = 200;
/** Rows added per step when the reader nears an end of the rendered slice. */
const STEP_ROWS = 40;
/** Distance (px) from an end of the rendered slice at which it grows: about a screen ahead of the reader. */
const EDGE_PX = 800;
/** Most entries held in memory; past it, those farthest from the view go (the host keeps them). */
export const MAX_HELD_ENTRIES = 20_000;
/** Distance from the bottom (px) still counted as "at the bottom": a pixel or two of rounding must not unstick. */
const STICK_THRESHOLD_PX = 32;

export interface ConversationActions extends EntryActions {
  /** The scroll position changed (to persist it). */
  scrolled(fromBottom: number): void;
  loadOlder(requestId: number, beforeId: string, limit: number): void;
  /** Back to the newest entries after a jump. */
  latest(): void;
  /** Whether the newest message is in view changed (what the host counts as read). */
  viewed(atBottom: boolean): void;
  /** An entry the timeline does not hold: the host shows the conversation around it. */
  jump(id: string): void;
}

export class Conversation {
  readonly element: HTMLElement;
  readonly #log: HTMLDivElement;
  readonly #scroll: LogScroll;
  readonly #buttons: LatestButtons;
  readonly #actions: ConversationActions;
  readonly #timeline = new Timeline();
  readonly #rows: Rows;
  readonly #edge: HistoryEdge;
  /** The rendered slice: timeline indices [lo, hi). */
  #lo = 0;
  #hi = 0;
  /** Showing a window around a jump target: newer entries exist that the timeline does not hold. */
  #detached = false;
  #awaitingLatest = false;
  #stick = true;
  #unread = 0;
  #scrollQueued = false;
  #fillQueued = false;
  readonly keys: ConversationKeys;
  #newMark: ReadMarkView | undefined;
  #viewed: boolean | undefined;

  constructor(actions: ConversationActions) {
    this.#actions = actions;
    this.#edge = new HistoryEdge({
      loadOlder: (requestId, beforeId, limit) => actions.loadOlder(requestId, beforeId, limit),
      changed: () => this.#render(this.#lo, this.#hi, true),
      loadNow: () => {
        const oldest = this.#timeline.at(0);
        if (oldest !== undefined) this.#edge.request(oldest.id);
      },
    });
    this.#log = h('div', {
      class: 'log',
      attrs: { id: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', tabindex: 0 },
    }, [this.#edge.row]);
    this.#scroll = new LogScroll(this.#log);
    this.#rows = new Rows(this.#edge.row);
    this.#buttons = new LatestButtons({
      newest: () => {
        this.scrollToBottom();
        this.#log.focus({ preventScroll: true });
      },
      latest: () => this.backToLatest(),
      firstNew: () => this.revealNew(),
    });
    this.keys = new ConversationKeys(this.#log);
    this.#log.addEventListener('scroll', () => this.#logOnScroll(), { passive: true });
    this.#log.addEventListener('click', (event) => routeEntryClick(event, actions));
    // Keep the newest message in view when the panel or an image changes size.
    new ResizeObserver(() => {
      if (this.#stick) this.#scroll.toBottom();
      this.#queueFill();
    }).observe(this.#log);
    this.#log.addEventListener('load', () => this.#stick && this.#scroll.toBottom(), true);
    this.element = h('div', { class: 'conversation__scroller' }, [this.#log, this.#edge.status, ...this.#buttons.elements]);
  }

  get isEmpty(): boolean {
    return this.#timeline.length === 0;
  }

  get fromBottom(): number {
    return this.#scroll.fromBottom;
  }

  /** Starts over from a snapshot (the first one, another room), keeping the reader's distance from the bottom. */
  reset(entries: readonly EntryView[], hasOlder: boolean, fromBottom: number): void {
    this.#startOver(entries, hasOlder, false);
    this.#stick = true;
    const n = this.#timeline.length;
    this.#render(Math.max(0, n - INITIAL_ROWS), n, true);
    this.#restore(fromBottom);
    this.#queueFill();
  }

  /**
   * A later snapshot of the same room: its entries are the newest; older pages the reader loaded stay. While a
   * jump window is shown it is kept (the snapshot's entries return with "Back to latest"), unless this snapshot
   * answers `latest`.
   */
  snapshot(entries: readonly EntryView[], hasOlder: boolean): void {
    if (this.#awaitingLatest) {
      this.reset(entries, hasOlder, 0);
      return;
    }
    if (this.#detached) return;
    let oldest: EntryView | undefined;
    for (const entry of entries) if (oldest === undefined || compareEntries(entry, oldest) < 0) oldest = entry;
    const kept = hasOlder && oldest !== undefined ? this.#timeline.slice(0, this.#timeline.lowerBound(oldest)) : [];
    this.#timeline.reset([...kept, ...entries]);
    if (kept.length === 0) this.#edge.setHasOlder(hasOlder);
    this.#relocateAndRender(true, true);
  }

  /** A live entry (or a new version of one): placed by time, never twice. */
  add(entry: EntryView): void {
    const own = entry.kind !== 'system' && entry.own;
    if (this.#detached && this.#timeline.get(entry.id) === undefined) {
      const last = this.#timeline.at(this.#timeline.length - 1);
      if (last === undefined || compareEntries(entry, last) > 0) {
        // Newer than the jump window: the host has it for "Back to latest"; one's own message goes there now.
        this.#unread++;
        this.#updateButtons();
        if (own) this.backToLatest();
        return;
      }
    }
    const result = this.#timeline.upsert(entry);
    if (result === 'unchanged') return;
    if (result === 'added' && !this.#detached && compareEntries(entry, this.#rows.all.at(-1)?.entry ?? entry) > 0 && !this.#stick) {
      if (own) {
        this.scrollToBottom();
        return;
      }
      this.#unread++;
      this.#updateButtons();
    }
    this.#relocateAndRender(false, true);
    this.#capHeld('front');
  }

  setDelivery(id: string, delivery: DeliveryView): void {
    const held = this.#timeline.get(id);
    if (held === undefined || held.kind === 'system') return;
    const next: EntryView = { ...held, delivery };
    this.#timeline.upsert(next);
    this.#rows.setDelivery(next, delivery);
  }

  /** The answer to `loadOlder`: placed by time (whatever order they came in), with the view kept still. */
  older(requestId: number, entries: readonly EntryView[], hasOlder: boolean): void {
    if (!this.#edge.answered(requestId)) return;
    const added = this.#timeline.merge(entries);
    this.#edge.loaded(added, hasOlder);
    this.#capHeld('back');
    // The first step of the page goes in with the answer: the loading row it replaces then never leaves a gap
    // that the view, at the very top, could not be scrolled back over.
    this.#relocateAndRender(true, false, this.#scroll.top < EDGE_PX ? STEP_ROWS : 0);
    this.#queueFill();
  }

  /** Shows the window around `targetId`, scrolls it into view and marks `highlight` in it. */
  jumpTo(entries: readonly EntryView[], targetId: string, highlight: string, hasOlder: boolean, hasNewer: boolean): void {
    this.#startOver(entries, hasOlder, hasNewer);
    this.#stick = false;
    const n = this.#timeline.length;
    const found = this.#timeline.indexOfId(targetId);
    // A target the window lacks (the history was cleared meanwhile): the window's newest entries.
    const index = found < 0 ? n - 1 : found;
    const lo = Math.max(0, Math.min(index - INITIAL_ROWS / 2, n - INITIAL_ROWS));
    this.#render(lo, Math.min(n, lo + INITIAL_ROWS), true);
    const row = this.#rows.get(targetId);
    if (row !== undefined) {
      row.element.classList.add('entry--target');
      highlightWords(row.element, queryWords(highlight));
      this.#scroll.center(row.element);
    } else {
      this.#scroll.toBottom();
    }
    if (!hasNewer && this.fromBottom <= STICK_THRESHOLD_PX) this.#stick = true;
    this.#queueFill();
  }

  /** Asks for the newest entries again; the host answers with a snapshot. */
  backToLatest(): void {
    this.#awaitingLatest = true;
    this.#actions.latest();
  }

  /** The room's history was cleared: nothing is left to show. */
  clear(): void {
    this.#startOver([], false, false);
    this.#stick = true;
    this.#render(0, 0, true);
  }

  setRoomEncrypted(encrypted: boolean): void {
    this.#rows.setRoomEncrypted(encrypted);
  }

  setSelf(self: string | undefined): void {
    this.#rows.setSelf(self);
  }

  /** Where the "New" divider goes (read up to `mark` when the reader came back); undefined: no divider. */
  setNewMark(mark: ReadMarkView | undefined): void {
    if (mark?.id === this.#newMark?.id && mark?.at === this.#newMark?.at) return;
    this.#newMark = mark;
    this.#render(this.#lo, this.#hi, true);
    this.#updateButtons();
  }

  /** Scrolls to the "New" divider (rendering the rows around it). */
  revealNew(): void {
    const index = this.#firstNewIndex();
    const entry = this.#timeline.at(index);
    if (entry === undefined) return;
    this.#revealIndex(index, false);
    this.#rows.newDivider.scrollIntoView({ block: 'start' });
    this.keys.focusRow(entry.id);
    this.#updateButtons();
  }

  /** Index of the first message of others after the read mark (-1: none held). */
  #firstNewIndex(): number {
    const mark = this.#newMark;
    if (mark === undefined) return -1;
    // Entries at the mark's time sort by id: start at the mark's place, then step over own messages and lines.
    const from = this.#timeline.upperBound({ kind: 'system', id: mark.id, at: mark.at, text: '', tone: 'info' });
    for (let i = from; i < this.#timeline.length; i++) {
      const entry = this.#timeline.at(i);
      if (entry !== undefined && isNew(entry, mark)) return i;
    }
    return -1;
  }

  /** Shows entry `id` and focuses it (a reply's quote); one the timeline lacks, the host fetches. */
  reveal(id: string): void {
    const index = this.#timeline.indexOfId(id);
    if (index < 0) {
      this.#actions.jump(id);
      return;
    }
    this.#revealIndex(index, true);
    this.keys.focusRow(id);
  }

  /** The entry held under `id`, if any. */
  entry(id: string): EntryView | undefined {
    return this.#timeline.get(id);
  }

  #revealIndex(index: number, mark: boolean): void {
    const n = this.#timeline.length;
    const entry = this.#timeline.at(index);
    if (entry === undefined) return;
    if (index < this.#lo || index >= this.#hi) {
      const lo = Math.max(0, Math.min(index - INITIAL_ROWS / 2, n - INITIAL_ROWS));
      this.#stick = false;
      this.#render(lo, Math.min(n, lo + INITIAL_ROWS), true);
    } else {
      this.#stick = false;
    }
    const row = this.#rows.get(entry.id);
    if (row === undefined) return;
    if (mark) {
      for (const old of this.#log.querySelectorAll('.entry--target')) old.classList.remove('entry--target');
      row.element.classList.add('entry--target');
    }
    this.#scroll.center(row.element);
    this.#queueFill();
    this.#reportViewed();
  }

  scrollToBottom(): void {
    if (this.#detached) {
      this.backToLatest();
      return;
    }
    this.#stick = true;
    const n = this.#timeline.length;
    if (this.#hi < n || this.#hi - this.#lo > INITIAL_ROWS) this.#render(Math.max(0, n - INITIAL_ROWS), n, true);
    this.#scroll.toBottom();
    this.#unread = 0;
    this.#updateButtons();
    this.#reportViewed();
  }

  focus(): void {
    this.#log.focus();
  }

  #startOver(entries: readonly EntryView[], hasOlder: boolean, detached: boolean): void {
    this.#timeline.reset(entries);
    this.#edge.reset(hasOlder);
    this.#detached = detached;
    this.#awaitingLatest = false;
    this.#unread = 0;
    // Far more than the panel holds: keep the newest.
    if (this.#timeline.length > MAX_HELD_ENTRIES) {
      this.#timeline.remove(0, this.#timeline.length - MAX_HELD_ENTRIES);
      this.#edge.setHasOlder(true);
    }
    this.#lo = 0;
    this.#hi = 0;
    this.#rows.sync([]);
    this.#updateButtons();
  }

  /**
   * After the timeline changed: find the rendered slice again by its first and last entries, then render it.
   * `keepStart`: a slice that began at the oldest entry still does (an entry placed before it shows at once);
   * `growTop`: rows to add above a slice that began at the oldest entry.
   */
  #relocateAndRender(quiet: boolean, keepStart: boolean, growTop = 0): void {
    const fromStart = this.#lo === 0;
    const rows = this.#rows.all;
    const n = this.#timeline.length;
    const first = rows[0]?.entry;
    const last = rows[rows.length - 1]?.entry;
    let lo: number;
    let hi: number;
    if (first === undefined || last === undefined) {
      lo = this.#detached ? 0 : Math.max(0, n - INITIAL_ROWS);
      hi = this.#detached ? Math.min(n, INITIAL_ROWS) : n;
    } else {
      lo = fromStart && keepStart ? 0 : this.#timeline.lowerBound(first);
      if (fromStart) lo = Math.max(0, lo - growTop);
      hi = this.#timeline.upperBound(last);
    }
    if (this.#stick && !this.#detached) hi = n;
    if (hi - lo > MAX_RENDERED_ROWS) {
      // Over the bound: the end farther from the reader goes.
      if (this.#stick || this.#scroll.top >= this.fromBottom) lo = hi - MAX_RENDERED_ROWS;
      else hi = lo + MAX_RENDERED_ROWS;
    }
    this.#render(lo, hi, quiet);
  }

  /** Renders timeline[lo, hi) with the reader's view kept still (or at the bottom while following). */
  #render(lo: number, hi: number, quiet: boolean): void {
    // The first row the reader sees stays where it is on screen.
    const putBack = this.#scroll.hold(this.#stick ? undefined : this.#rows.firstVisible(this.#scroll.viewTop));
    if (quiet) this.#scroll.quiet();
    this.#lo = lo;
    this.#hi = hi;
    this.#rows.setNewBefore(this.#timeline.at(this.#firstNewIndex())?.id);
    this.#rows.sync(this.#timeline.slice(lo, hi));
    this.#edge.render(lo === 0 && this.#timeline.length > 0);
    if (this.#stick) this.#scroll.toBottom();
    else putBack();
    this.#reportViewed();
  }

  /** Grows the rendered slice toward the reader's end, trims the far end, asks for older entries at the top. */
  #fill(): void {
    const n = this.#timeline.length;
    let lo = this.#lo;
    let hi = this.#hi;
    const nearTop = this.#scroll.top < EDGE_PX;
    const nearBottom = this.fromBottom < EDGE_PX;
    const grewTop = nearTop && lo > 0;
    const grewBottom = nearBottom && hi < n;
    if (grewTop) lo = Math.max(0, lo - STEP_ROWS);
    if (grewBottom) hi = Math.min(n, hi + STEP_ROWS);
    if (hi - lo > MAX_RENDERED_ROWS) {
      if (grewTop && !grewBottom && !this.#stick) hi = lo + MAX_RENDERED_ROWS;
      else lo = hi - MAX_RENDERED_ROWS;
    }
    if (grewTop || grewBottom) {
      this.#render(lo, hi, true);
      this.#queueFill();
    }
    if (nearTop && this.#lo === 0) {
      const oldest = this.#timeline.at(0);
      if (oldest !== undefined) this.#edge.request(oldest.id);
    }
  }

  #queueFill(): void {
    if (this.#fillQueued) return;
    this.#fillQueued = true;
    requestAnimationFrame(() => {
      this.#fillQueued = false;
      this.#fill();
    });
  }

  /** Past MAX_HELD_ENTRIES, drops the entries farthest from the view, never rendered ones. */
  #capHeld(grew: 'front' | 'back'): void {
    const n = this.#timeline.length;
    const excess = n - MAX_HELD_ENTRIES;
    if (excess <= 0) return;
    if (grew === 'front') {
      const count = Math.min(excess, this.#lo);
      if (count === 0) return;
      this.#timeline.remove(0, count);
      this.#lo -= count;
      this.#hi -= count;
      this.#edge.setHasOlder(true);
    } else {
      const count = Math.min(excess, n - this.#hi);
      if (count === 0) return;
      this.#timeline.remove(n - count, n);
      this.#detached = true;
      this.#stick = false;
      this.#updateButtons();
    }
  }

  #restore(fromBottom: number): void {
    if (fromBottom <= STICK_THRESHOLD_PX) {
      this.scrollToBottom();
      return;
    }
    this.#stick = false;
    this.#scroll.toDistanceFromBottom(fromBottom);
  }

  #logOnScroll(): void {
    // Only the reader scrolling up unsticks: a scroll event that arrives after our own scrollToBottom may see a
    // layout that has since grown (a header line, the transfers list), which is no reason to stop following.
    const movedUp = this.#scroll.movedUp();
    const atEnd = !this.#detached && this.#hi === this.#timeline.length;
    if (this.#stick && !movedUp && atEnd) {
      if (this.fromBottom > 1) this.#scroll.toBottom();
    } else {
      this.#stick = atEnd && this.fromBottom <= STICK_THRESHOLD_PX;
    }
    if (this.#stick && this.#unread > 0) {
      this.#unread = 0;
      this.#updateButtons();
    }
    if (movedUp) this.#edge.readerMovedUp();
    this.#fill();
    this.#reportViewed();
    this.#updateButtons();
    if (this.#scrollQueued) return;
    this.#scrollQueued = true;
    requestAnimationFrame(() => {
      this.#scrollQueued = false;
      this.#actions.scrolled(this.#stick ? 0 : Math.round(this.fromBottom));
    });
  }

  #updateButtons(): void {
    this.#buttons.update(this.#unread, this.#detached, this.#newAbove());
  }

  /** The "New" divider is above the view (or above the rendered rows): "Jump to first new" is worth showing. */
  #newAbove(): boolean {
    const mark = this.#newMark;
    if (mark === undefined) return false;
    const divider = this.#rows.newDivider;
    if (divider.isConnected) return divider.getBoundingClientRect().bottom < this.#log.getBoundingClientRect().top;
    const index = this.#firstNewIndex();
    return index >= 0 && index < this.#lo;
  }

  /** Tells the host when "the newest message is in view" changes. */
  #reportViewed(): void {
    const atBottom = this.#stick && !this.#detached && this.#hi === this.#timeline.length;
    if (atBottom === this.#viewed) return;
    this.#viewed = atBottom;
    this.#actions.viewed(atBottom);
  }
}
