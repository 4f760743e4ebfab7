/**
 * The conversation: a `role="log"` list of entries that grows one element at a time. A full `state` snapshot
 * rebuilds it; every later entry/delivery touches only its own element. At most MAX_RENDERED_ENTRIES stay in the
 * DOM (the oldest go first). Follows the newest message while the reader is at the bottom; when they have
 * scrolled up, new messages raise a "new messages" button instead of moving the text under their eyes.
 */
import type { DeliveryView, EntryView } from '../src/shared/panel-messages';
import { h, icon, replaceChildren } from './dom';
import { continues, dayDivider, renderDelivery, renderMessage, renderSystem, setContinued, timeOf, type Rendered } from './entry-view';
import { dayKey } from './format';

/** Entries kept in the DOM; older ones are dropped from the view (the host keeps the history). */
export const MAX_RENDERED_ENTRIES = 1000;
/** Distance from the bottom (px) still counted as "at the bottom": a pixel or two of rounding must not unstick. */
const STICK_THRESHOLD_PX = 32;

export interface ConversationActions {
  retry(id: string): void;
  discard(id: string): void;
  openImage(id: string): void;
  /** A link was clicked: the host asks the user before opening it. */
  openLink(url: string): void;
  /** The scroll position changed (to persist it). */
  scrolled(fromBottom: number): void;
}

export class Conversation {
  readonly element: HTMLElement;
  readonly #log: HTMLDivElement;
  readonly #jump: HTMLButtonElement;
  readonly #jumpLabel: HTMLSpanElement;
  readonly #actions: ConversationActions;
  readonly #records = new Map<string, Rendered>();
  #roomEncrypted = false;
  #stick = true;
  #unread = 0;
  #scrollQueued = false;
  /** scrollTop at the previous scroll event or our own last scroll, to tell the reader's direction. */
  #lastTop = 0;

  constructor(actions: ConversationActions) {
    this.#actions = actions;
    this.#log = h('div', {
      class: 'log',
      attrs: { id: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', tabindex: 0 },
    });
    this.#jumpLabel = h('span', {}, ['New messages']);
    this.#jump = h('button', { class: 'jump-latest', attrs: { type: 'button', hidden: true, id: 'jump-latest' } }, [
      this.#jumpLabel,
      icon('arrowDown'),
    ]);
    this.#jump.addEventListener('click', () => {
      this.scrollToBottom();
      this.#log.focus({ preventScroll: true });
    });
    this.#log.addEventListener('scroll', () => this.#logOnScroll(), { passive: true });
    this.#log.addEventListener('click', (event) => this.#logOnClick(event));
    // Keep the newest message in view when the panel or an image changes size.
    new ResizeObserver(() => {
      if (this.#stick) this.#toBottom();
    }).observe(this.#log);
    this.#log.addEventListener('load', () => this.#stick && this.#toBottom(), true);
    this.element = h('div', { class: 'conversation__scroller' }, [this.#log, this.#jump]);
  }

  get isEmpty(): boolean {
    return this.#records.size === 0;
  }

  get fromBottom(): number {
    const log = this.#log;
    return Math.max(0, log.scrollHeight - log.scrollTop - log.clientHeight);
  }

  /** Rebuilds everything from a snapshot, keeping the reader's distance from the bottom. */
  reset(entries: readonly EntryView[], roomEncrypted: boolean, fromBottom = this.#stick ? 0 : this.fromBottom): void {
    this.#roomEncrypted = roomEncrypted;
    this.#records.clear();
    const shown = entries.slice(-MAX_RENDERED_ENTRIES);
    const fragment = document.createDocumentFragment();
    let previous: EntryView | undefined;
    for (const entry of shown) {
      if (this.#records.has(entry.id)) continue; // a duplicate id in a snapshot: first one wins
      if (previous === undefined || dayKey(timeOf(previous)) !== dayKey(timeOf(entry))) fragment.append(dayDivider(timeOf(entry)));
      const rendered = this.#render(entry, continues(previous, entry));
      this.#records.set(entry.id, rendered);
      fragment.append(rendered.element);
      previous = entry;
    }
    // A snapshot is not news: keep screen readers from reading a thousand messages out.
    this.#log.setAttribute('aria-live', 'off');
    replaceChildren(this.#log, [fragment]);
    requestAnimationFrame(() => this.#log.setAttribute('aria-live', 'polite'));
    this.#unread = 0;
    this.#updateJump();
    this.#restore(fromBottom);
  }

  /** Appends a new entry, or replaces the one with the same id in place. */
  add(entry: EntryView): void {
    const existing = this.#records.get(entry.id);
    if (existing !== undefined) {
      const continued = existing.element.classList.contains('entry--continued');
      const rendered = this.#render(entry, continued);
      existing.element.replaceWith(rendered.element);
      this.#records.set(entry.id, rendered);
      return;
    }
    const wasAtBottom = this.#stick;
    const previous = this.#lastEntry();
    if (previous === undefined || dayKey(timeOf(previous)) !== dayKey(timeOf(entry))) this.#log.append(dayDivider(timeOf(entry)));
    const rendered = this.#render(entry, continues(previous, entry));
    this.#records.set(entry.id, rendered);
    this.#log.append(rendered.element);
    this.#trim();
    const own = entry.kind !== 'system' && entry.own;
    if (wasAtBottom || own) {
      this.scrollToBottom();
    } else {
      this.#unread++;
      this.#updateJump();
    }
  }

  setDelivery(id: string, delivery: DeliveryView): void {
    const record = this.#records.get(id);
    if (record === undefined || record.entry.kind === 'system' || record.delivery === undefined) return;
    record.entry = { ...record.entry, delivery };
    renderDelivery(record.delivery, record.entry, delivery);
  }

  setRoomEncrypted(encrypted: boolean): void {
    this.#roomEncrypted = encrypted;
  }

  scrollToBottom(): void {
    this.#stick = true;
    this.#toBottom();
    this.#unread = 0;
    this.#updateJump();
  }

  focus(): void {
    this.#log.focus();
  }

  #toBottom(): void {
    this.#log.scrollTop = this.#log.scrollHeight;
    this.#lastTop = this.#log.scrollTop;
  }

  #restore(fromBottom: number): void {
    if (fromBottom <= STICK_THRESHOLD_PX) {
      this.scrollToBottom();
      return;
    }
    this.#stick = false;
    this.#log.scrollTop = Math.max(0, this.#log.scrollHeight - this.#log.clientHeight - fromBottom);
    this.#lastTop = this.#log.scrollTop;
  }

  #lastEntry(): EntryView | undefined {
    const last = this.#log.lastElementChild;
    if (!(last instanceof HTMLElement) || last.dataset.entryId === undefined) return undefined;
    return this.#records.get(last.dataset.entryId)?.entry;
  }

  #trim(): void {
    if (this.#records.size <= MAX_RENDERED_ENTRIES) return;
    const heightBefore = this.#stick ? 0 : this.#log.scrollHeight; // a layout read only when it is needed
    while (this.#records.size > MAX_RENDERED_ENTRIES) {
      const [oldestId, oldest] = this.#records.entries().next().value as [string, Rendered];
      while (this.#log.firstChild !== null && this.#log.firstChild !== oldest.element) this.#log.firstChild.remove();
      oldest.element.remove();
      this.#records.delete(oldestId);
    }
    // The new head lost its day divider (if it shared the day) or its group's header.
    const head = this.#log.firstElementChild;
    if (head instanceof HTMLElement && head.dataset.entryId !== undefined) {
      const record = this.#records.get(head.dataset.entryId);
      if (record !== undefined) {
        head.before(dayDivider(timeOf(record.entry)));
        setContinued(head, false);
      }
    }
    if (!this.#stick) {
      this.#log.scrollTop -= heightBefore - this.#log.scrollHeight;
      this.#lastTop = this.#log.scrollTop;
    }
  }

  #render(entry: EntryView, continued: boolean): Rendered {
    if (entry.kind === 'system') return { entry, element: renderSystem(entry), delivery: undefined };
    return renderMessage(entry, continued, this.#roomEncrypted);
  }

  #logOnScroll(): void {
    // Only the reader scrolling up unsticks: a scroll event that arrives after our own scrollToBottom may see a
    // layout that has since grown (a header line, the transfers list), which is no reason to stop following.
    const top = this.#log.scrollTop;
    const movedUp = top < this.#lastTop - 1;
    this.#lastTop = top;
    if (this.#stick && !movedUp) {
      if (this.fromBottom > 1) this.#toBottom();
    } else {
      this.#stick = this.fromBottom <= STICK_THRESHOLD_PX;
    }
    if (this.#stick && this.#unread > 0) {
      this.#unread = 0;
      this.#updateJump();
    }
    if (this.#scrollQueued) return;
    this.#scrollQueued = true;
    requestAnimationFrame(() => {
      this.#scrollQueued = false;
      this.#actions.scrolled(this.#stick ? 0 : Math.round(this.fromBottom));
    });
  }

  #logOnClick(event: MouseEvent): void {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const link = target.closest<HTMLAnchorElement>('a.entry__link');
    if (link) {
      // Never navigate from the webview: the host confirms with the user and opens it with openExternal.
      event.preventDefault();
      this.#actions.openLink(link.href);
      return;
    }
    const control = target.closest('.entry__retry, .entry__discard, .entry__image-button');
    const entry = control?.closest<HTMLElement>('.entry');
    const id = entry?.dataset.entryId;
    if (control === null || control === undefined || id === undefined) return;
    if (control.classList.contains('entry__retry')) this.#actions.retry(id);
    else if (control.classList.contains('entry__discard')) this.#actions.discard(id);
    else this.#actions.openImage(id);
  }

  #updateJump(): void {
    this.#jump.hidden = this.#unread === 0;
    this.#jumpLabel.textContent = this.#unread === 1 ? '1 new message' : `${this.#unread} new messages`;
  }
}
