/**
 * Where items wait before they enter the send window: three FIFO queues, one per priority. An item gets its
 * sequence number only when it leaves here, so a text queued behind a 10 MB image still goes out first.
 */

/** urgent: control (leave, notices); normal: text; bulk: image fragments. */
export type Priority = 'urgent' | 'normal' | 'bulk';

/** The order in which queued items enter the send window. */
export const PRIORITY_ORDER: readonly Priority[] = ['urgent', 'normal', 'bulk'];

export function isPriority(value: unknown): value is Priority {
  return PRIORITY_ORDER.includes(value as Priority);
}

/** An item given to send(), with the ticket that names it to the edge. */
export interface Queued<T> {
  ticket: number;
  item: T;
  bytes: number;
  priority: Priority;
}

/** Once this many slots at the head are dead, and they are at least half the array, the array is compacted. */
const FIFO_COMPACT_AFTER = 1024;

/** A FIFO with O(1) shift: an array and a head index, compacted once the dead prefix dominates. */
class Fifo<V> implements Iterable<V> {
  #items: (V | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(value: V): void {
    this.#items.push(value);
  }

  shift(): V | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const value = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head >= FIFO_COMPACT_AFTER && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return value;
  }

  *[Symbol.iterator](): Iterator<V> {
    for (let index = this.#head; index < this.#items.length; index++) yield this.#items[index] as V;
  }
}

/** The three queues with their item and byte totals (the budget send() checks). */
export class SendQueue<T> {
  readonly #queues: Record<Priority, Fifo<Queued<T>>> = { urgent: new Fifo(), normal: new Fifo(), bulk: new Fifo() };
  #count = 0;
  #bytes = 0;

  get count(): number {
    return this.#count;
  }

  /** Sum of the sizes given to send() of everything waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  push(queued: Queued<T>): void {
    this.#queues[queued.priority].push(queued);
    this.#count++;
    this.#bytes += queued.bytes;
  }

  /** The next item to enter the window: urgent first, then normal, then bulk; each class in the order given. */
  shift(): Queued<T> | undefined {
    for (const priority of PRIORITY_ORDER) {
      const queued = this.#queues[priority].shift();
      if (queued) {
        this.#count--;
        this.#bytes -= queued.bytes;
        return queued;
      }
    }
    return undefined;
  }

  /** Everything waiting, in the order it was given to send() (tickets ascend). */
  inSendOrder(): Queued<T>[] {
    return PRIORITY_ORDER.flatMap((priority) => [...this.#queues[priority]]).sort((a, b) => a.ticket - b.ticket);
  }
}
