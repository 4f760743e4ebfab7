/**
 * The search box over the room's history (Ctrl+F, Cmd+F on macOS): the query goes to the host once typing
 * pauses, the hits come back as a list of excerpts with the matched words marked, and choosing one asks the host
 * to jump to it. Keyboard: arrows move through the hits, Enter opens the selected one (pressed again: the next
 * one; Shift+Enter: the previous one), Escape closes. A status region announces "N results".
 */
import { MAX_QUERY_CHARS, type SearchHitView } from '../src/shared/panel-messages';
import { h, icon } from './dom';
import { formatCount, formatDayTime, formatFullDate, isoDate } from './format';
import { markedText } from './highlight';

/** Quiet time (ms) after the last keystroke before the query goes out: one search per pause, not per key. */
export const SEARCH_DEBOUNCE_MS = 200;

export interface SearchActions {
  search(requestId: number, query: string): void;
  jump(id: string, query: string): void;
  /** The box opened or closed (the header's toggle follows). */
  toggled(open: boolean): void;
}

export class SearchBox {
  readonly element: HTMLElement;
  readonly #input: HTMLInputElement;
  readonly #list: HTMLUListElement;
  readonly #status: HTMLElement;
  readonly #actions: SearchActions;
  #hits: SearchHitView[] = [];
  /** The query the shown hits answer (what a jump highlights). */
  #query = '';
  #active = -1;
  /** The hit last jumped to: Enter on it moves on to the next. */
  #opened = -1;
  #requestId = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #returnFocus: HTMLElement | undefined;

  constructor(actions: SearchActions) {
    this.#actions = actions;
    this.#input = h('input', {
      class: 'search__input',
      attrs: {
        id: 'search-input',
        type: 'search',
        role: 'combobox',
        'aria-label': 'Search messages',
        'aria-autocomplete': 'list',
        'aria-expanded': 'false',
        'aria-controls': 'search-results',
        placeholder: 'Search messages',
        maxlength: MAX_QUERY_CHARS,
        autocomplete: 'off',
        spellcheck: 'false',
      },
    });
    this.#status = h('span', { class: 'search__status', attrs: { id: 'search-status', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' } });
    const close = h('button', { class: 'search__close', attrs: { type: 'button', id: 'search-close', title: 'Close (Escape)', 'aria-label': 'Close search' } }, [
      icon('close'),
    ]);
    this.#list = h('ul', { class: 'search__results', attrs: { id: 'search-results', role: 'listbox', 'aria-label': 'Search results', hidden: true } });
    this.element = h('div', { class: 'search', attrs: { id: 'search', role: 'search', hidden: true } }, [
      h('div', { class: 'search__bar' }, [icon('search', 'icon search__icon'), this.#input, this.#status, close]),
      this.#list,
    ]);
    this.#input.addEventListener('input', () => this.#schedule());
    this.#input.addEventListener('keydown', (event) => this.#inputOnKeydown(event));
    close.addEventListener('click', () => this.close());
    this.element.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      event.stopPropagation();
      this.close();
    });
    // A click on a hit keeps the focus in the box, so the arrows and Enter go on from there.
    this.#list.addEventListener('mousedown', (event) => event.preventDefault());
    this.#list.addEventListener('click', (event) => {
      const option = event.target instanceof Element ? event.target.closest<HTMLElement>('[data-hit]') : null;
      if (option !== null) this.#choose(Number(option.dataset.hit));
    });
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  open(): void {
    if (!this.isOpen) {
      const focused = document.activeElement;
      this.#returnFocus = focused instanceof HTMLElement && !this.element.contains(focused) ? focused : undefined;
      this.element.hidden = false;
      this.#actions.toggled(true);
    }
    this.#input.focus();
    this.#input.select();
  }

  close(): void {
    if (!this.isOpen) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.element.hidden = true;
    this.#actions.toggled(false);
    const back = this.#returnFocus;
    this.#returnFocus = undefined;
    if (back?.isConnected === true) back.focus();
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }

  /** The host's answer; only the one to the latest query is shown. */
  results(requestId: number, query: string, hits: readonly SearchHitView[]): void {
    if (requestId !== this.#requestId) return;
    this.#query = query;
    this.#hits = [...hits];
    this.#active = hits.length > 0 ? 0 : -1;
    this.#opened = -1;
    this.#renderList();
    const n = hits.length;
    this.#status.textContent = n === 0 ? 'No results' : n === 1 ? '1 result' : `${formatCount(n)} results`;
  }

  /** The history is gone (cleared, another room): so are the hits. */
  clear(): void {
    this.#requestId++;
    this.#hits = [];
    this.#active = -1;
    this.#opened = -1;
    this.#renderList();
    this.#status.textContent = '';
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#send(), SEARCH_DEBOUNCE_MS);
  }

  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const query = this.#input.value.trim().slice(0, MAX_QUERY_CHARS);
    if (query === '') {
      this.clear();
      return;
    }
    if (query === this.#query && this.#hits.length > 0) return;
    const requestId = ++this.#requestId;
    this.#status.textContent = 'Searching…';
    this.#actions.search(requestId, query);
  }

  #inputOnKeydown(event: KeyboardEvent): void {
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        event.preventDefault();
        this.#move(event.key === 'ArrowDown' ? 1 : -1);
        break;
      case 'Enter': {
        event.preventDefault();
        // Typed but not sent yet: Enter sends it now instead of waiting for the pause.
        if (this.#timer !== undefined) {
          this.#send();
          return;
        }
        if (this.#hits.length === 0) return;
        if (this.#active === this.#opened) this.#move(event.shiftKey ? -1 : 1);
        this.#choose(this.#active);
        break;
      }
      default:
        break;
    }
  }

  #move(delta: number): void {
    const n = this.#hits.length;
    if (n === 0) return;
    this.#active = this.#active < 0 ? (delta > 0 ? 0 : n - 1) : (this.#active + delta + n) % n;
    this.#select();
  }

  #choose(index: number): void {
    const hit = this.#hits[index];
    if (hit === undefined) return;
    this.#active = index;
    this.#opened = index;
    this.#select();
    this.#status.textContent = `Result ${formatCount(index + 1)} of ${formatCount(this.#hits.length)}`;
    this.#actions.jump(hit.id, this.#query);
  }

  #select(): void {
    for (const option of this.#list.children) {
      const selected = Number((option as HTMLElement).dataset.hit) === this.#active;
      option.setAttribute('aria-selected', String(selected));
      if (selected) option.scrollIntoView({ block: 'nearest' });
    }
    if (this.#active >= 0) this.#input.setAttribute('aria-activedescendant', `search-hit-${this.#active}`);
    else this.#input.removeAttribute('aria-activedescendant');
  }

  #renderList(): void {
    this.#list.replaceChildren(...this.#hits.map((hit, index) => renderHit(hit, index, index === this.#active)));
    this.#list.hidden = this.#hits.length === 0;
    this.#input.setAttribute('aria-expanded', String(this.#hits.length > 0));
    this.#select();
  }
}

function renderHit(hit: SearchHitView, index: number, selected: boolean): HTMLLIElement {
  return h('li', { class: 'search__hit', attrs: { id: `search-hit-${index}`, role: 'option', 'aria-selected': String(selected), 'data-hit': index } }, [
    h('div', { class: 'search__meta' }, [
      h('span', { class: 'search__from' }, [hit.from]),
      h('time', { class: 'search__time', attrs: { datetime: isoDate(hit.sentAt), title: formatFullDate(hit.sentAt) } }, [formatDayTime(hit.sentAt)]),
    ]),
    h('div', { class: 'search__excerpt' }, [markedText(hit.excerpt, hit.matches)]),
  ]);
}
