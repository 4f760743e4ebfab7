/**
 * The rendered slice of the conversation: one element per entry, preceded by a day divider where the day
 * changes, and sender grouping worked out from the entry shown before it. `sync` makes the DOM show exactly a
 * given run of entries, reusing the element of every entry whose view object is unchanged and moving nothing
 * that is already in place, so growing the slice at one end costs only the new rows.
 */
import type { DeliveryView, EntryView } from '../src/shared/panel-messages';
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
      cursor = place(cursor, row.element);
      rows.push(row);
      byId.set(entry.id, row);
      previous = row;
    }
    // Nothing else belongs after the rows.
    while (cursor.nextSibling !== null) cursor.nextSibling.remove();
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
      entry.kind === 'system' ? { entry, element: renderSystem(entry), delivery: undefined } : renderMessage(entry, continued, this.#roomEncrypted);
    return { ...rendered, divider: undefined, day: dayKey(timeOf(entry)), continued: entry.kind !== 'system' && continued };
  }
}

/** Puts `node` right after `cursor` unless it is there already; returns it as the new cursor. */
function place(cursor: ChildNode, node: ChildNode): ChildNode {
  if (cursor.nextSibling !== node) cursor.after(node);
  return node;
}
