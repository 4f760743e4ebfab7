/**
 * The rendered slice of the conversation: one element per entry, preceded by a day divider where the day
 * changes, and sender grouping worked out from the entry shown before it. `sync` makes the DOM show exactly a
 * given run of entries, reusing the element of every entry whose view object is unchanged and moving nothing
 * that is already in place, so growing the slice at one end costs only the new rows.
 */
import type { DeliveryView, EntryView, ReadMarkView } from '../src/shared/panel-messages';
import { h } from './dom';
import { continues, dayDivider, renderDelivery, renderMessage, renderSystem, setContinued, type Rendered } from './entry-view';
import { dayKey } from './format';
import { timeOf } from './timeline';

export interface Row extends Rendered {
  /** The day divider shown before this row (the first row of a slice always has one). */
  divider: HTMLElement | undefined;
  day: string;
  continued: boolean;
}

export class Rows {
  /** Rows live after this node, up to the end of its parent. */
  readonly #head: ChildNode;
  #rows: Row[] = [];
  #byId = new Map<string, Row>();
  #roomEncrypted = false;
  #self: string | undefined;
  /** The first message of others after the read mark: the "New" divider stands before it when it is rendered. */
  #newId: string | undefined;
  readonly #newDivider = h('div', { class: 'log__new', attrs: { id: 'new-divider', role: 'separator', 'aria-label': 'New messages' } }, [
    h('span', {}, ['New']),
  ]);
  /** The entry the "New" divider stands before (undefined: none rendered). */
  #newBefore: string | undefined;

  constructor(head: ChildNode) {
    this.#head = head;
  }

  get length(): number {
    return this.#rows.length;
  }

  get all(): readonly Row[] {
    return this.#rows;
  }

  get(id: string): Row | undefined {
    return this.#byId.get(id);
  }

  setRoomEncrypted(encrypted: boolean): void {
    this.#roomEncrypted = encrypted;
  }

  /** Your name: a mention of it stands out, your reactions show pressed. Rows rendered from now on use it. */
  setSelf(self: string | undefined): void {
    this.#self = self;
  }

  setNewBefore(id: string | undefined): void {
    this.#newId = id;
  }

  /** The entry the "New" divider is rendered before, if it is rendered. */
  get newBefore(): string | undefined {
    return this.#newBefore;
  }

  get newDivider(): HTMLElement {
    return this.#newDivider;
  }

  /** Shows exactly `entries` (in this order) after the head node. */
  sync(entries: readonly EntryView[]): void {
    // Rows that stay are those showing the very same view object; the others leave first, so that placing the
    // new rows never has to step over (and move) everything after a dropped one.
    const kept = new Set<Row>();
    for (const entry of entries) {
      const row = this.#byId.get(entry.id);
      if (row !== undefined && row.entry === entry) kept.add(row);
    }
    for (const row of this.#rows) {
      if (kept.has(row)) continue;
      row.divider?.remove();
      row.element.remove();
    }
    const rows: Row[] = [];
    const byId = new Map<string, Row>();
    let previous: Row | undefined;
    let cursor: ChildNode = this.#head;
    this.#newBefore = undefined;
    for (const entry of entries) {
      const continued = continues(previous?.entry, entry);
      let row = this.#byId.get(entry.id);
      // A replaced view (new text, another delivery state) gets a new element.
      if (row === undefined || !kept.has(row)) row = this.#render(entry, continued);
      else if (row.continued !== continued) {
        setContinued(row.element, continued);
        row.continued = continued;
      }
      const needsDivider = previous === undefined || previous.day !== row.day;
      if (needsDivider && row.divider === undefined) row.divider = dayDivider(timeOf(entry));
      else if (!needsDivider && row.divider !== undefined) {
        row.divider.remove();
        row.divider = undefined;
      }
      if (row.divider !== undefined) cursor = place(cursor, row.divider);
      if (entry.id === this.#newId) {
        this.#newBefore = entry.id;
        cursor = place(cursor, this.#newDivider);
      }
      cursor = place(cursor, row.element);
      rows.push(row);
      byId.set(entry.id, row);
      previous = row;
    }
    // Nothing else belongs after the rows.
    while (cursor.nextSibling !== null) cursor.nextSibling.remove();
    if (this.#newBefore === undefined) this.#newDivider.remove();
    this.#rows = rows;
    this.#byId = byId;
  }

  /** The first row whose bottom edge is below `viewTop` (client px): the one the reader sees at the top. */
  firstVisible(viewTop: number): HTMLElement | undefined {
    const rows = this.#rows;
    if (rows.length === 0) return undefined;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((rows[mid] as Row).element.getBoundingClientRect().bottom <= viewTop) lo = mid + 1;
      else hi = mid;
    }
    return (rows[lo] as Row).element;
  }

  /** A new delivery state for a rendered own message: only its status element changes. */
  setDelivery(entry: EntryView, delivery: DeliveryView): void {
    const row = this.#byId.get(entry.id);
    if (row === undefined || entry.kind === 'system' || row.delivery === undefined) return;
    row.entry = entry;
    renderDelivery(row.delivery, entry, delivery);
  }

  #render(entry: EntryView, continued: boolean): Row {
    const rendered: Rendered =
      entry.kind === 'system' ? { entry, element: renderSystem(entry), delivery: undefined } : renderMessage(entry, continued, this.#roomEncrypted, this.#self);
    return { ...rendered, divider: undefined, day: dayKey(timeOf(entry)), continued: entry.kind !== 'system' && continued };
  }
}

/** A message of someone else after `mark` (time, then id: the conversation's order). */
export function isNew(entry: EntryView, mark: ReadMarkView | undefined): boolean {
  if (mark === undefined || entry.kind === 'system' || entry.own) return false;
  return entry.sentAt > mark.at || (entry.sentAt === mark.at && entry.id > mark.id);
}

/** Puts `node` right after `cursor` unless it is there already; returns it as the new cursor. */
function place(cursor: ChildNode, node: ChildNode): ChildNode {
  if (cursor.nextSibling !== node) cursor.after(node);
  return node;
}
