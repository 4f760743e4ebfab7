/**
 * The top edge of the conversation: whether older entries exist, the one `loadOlder` request in flight, the row
 * above the oldest entry ("Loading earlier messages…", a "Load earlier messages" button, "Start of the
 * conversation") and a status region that tells screen readers what happened.
 */
import { h } from './dom';

/** Entries asked for per `loadOlder` (the host caps it at MAX_PAGE_ENTRIES). */
export const OLDER_PAGE_ENTRIES = 100;
/** A `loadOlder` unanswered this long (ms) stops blocking: the row offers to load again. */
export const OLDER_TIMEOUT_MS = 10_000;

export interface HistoryEdgeActions {
  loadOlder(requestId: number, beforeId: string, limit: number): void;
  /** The row changed outside a render (a request went out, one timed out): render with the view kept still. */
  changed(): void;
  /** The "Load earlier messages" button: ask again, now. */
  loadNow(): void;
}

type EdgeState = 'none' | 'loading' | 'more' | 'start';

const LABELS: Record<Exclude<EdgeState, 'none'>, string> = {
  loading: 'Loading earlier messages…',
  more: '',
  start: 'Start of the conversation',
};

export class HistoryEdge {
  readonly row: HTMLElement;
  readonly status: HTMLElement;
  readonly #actions: HistoryEdgeActions;
  readonly #label = h('span', { class: 'log__start-label' });
  readonly #button: HTMLButtonElement;
  #state: EdgeState | undefined;
  #hasOlder = false;
  #pending: { id: number; timer: ReturnType<typeof setTimeout> } | undefined;
  /** An answer brought nothing new, or none came: no automatic retry until the reader scrolls up again. */
  #stalled = false;
  #nextId = 1;

  constructor(actions: HistoryEdgeActions) {
    this.#actions = actions;
    this.#button = h('button', { class: 'log__older', attrs: { type: 'button', id: 'load-older' } }, ['Load earlier messages']);
    this.#button.addEventListener('click', () => {
      this.#stalled = false;
      actions.loadNow();
    });
    this.row = h('div', { class: 'log__start', attrs: { id: 'log-start', hidden: true } }, [this.#label, this.#button]);
    this.status = h('div', { class: 'sr-only', attrs: { id: 'history-status', role: 'status', 'aria-live': 'polite' } });
  }

  get hasOlder(): boolean {
    return this.#hasOlder;
  }

  get loading(): boolean {
    return this.#pending !== undefined;
  }

  /** Forgets the request in flight (its answer will be ignored). */
  reset(hasOlder: boolean): void {
    if (this.#pending !== undefined) clearTimeout(this.#pending.timer);
    this.#pending = undefined;
    this.#stalled = false;
    this.#hasOlder = hasOlder;
  }

  setHasOlder(hasOlder: boolean): void {
    this.#hasOlder = hasOlder;
  }

  /** Asks for the page before `beforeId` unless one is in flight, there is none, or the last one stalled. */
  request(beforeId: string): void {
    if (!this.#hasOlder || this.#pending !== undefined || this.#stalled) return;
    const id = this.#nextId++;
    const timer = setTimeout(() => this.#timedOut(id), OLDER_TIMEOUT_MS);
    this.#pending = { id, timer };
    this.#announce('Loading earlier messages…');
    this.#actions.loadOlder(id, beforeId, OLDER_PAGE_ENTRIES);
    this.#actions.changed();
  }

  /** Whether `requestId` answers the request in flight; it is then no longer in flight. */
  answered(requestId: number): boolean {
    if (this.#pending?.id !== requestId) return false;
    clearTimeout(this.#pending.timer);
    this.#pending = undefined;
    return true;
  }

  loaded(added: number, hasOlder: boolean): void {
    this.#hasOlder = hasOlder;
    if (added === 0 && hasOlder) this.#stalled = true;
    const what = added === 1 ? '1 earlier message loaded' : `${added} earlier messages loaded`;
    this.#announce(hasOlder ? what : added > 0 ? `${what}; start of the conversation` : 'Start of the conversation');
  }

  readerMovedUp(): void {
    this.#stalled = false;
  }

  /** Shows the row for the current state; `atStart`: the oldest held entry is rendered. */
  render(atStart: boolean): void {
    const state: EdgeState = !atStart ? 'none' : this.#pending !== undefined ? 'loading' : this.#hasOlder ? 'more' : 'start';
    if (state === this.#state) return;
    this.#state = state;
    this.row.hidden = state === 'none';
    this.row.dataset.state = state;
    this.#button.hidden = state !== 'more';
    this.#label.hidden = state === 'more';
    this.#label.textContent = state === 'none' ? '' : LABELS[state];
  }

  #timedOut(id: number): void {
    if (this.#pending?.id !== id) return;
    this.#pending = undefined;
    this.#stalled = true;
    this.#announce('Earlier messages did not load');
    this.#actions.changed();
  }

  #announce(text: string): void {
    this.status.textContent = text;
  }
}
