/**
 * Promises waiting for a sent message to be delivered or to fail (a Send Image progress notification waits on
 * one). Each settles exactly once: on the message's final delivery state, or, when the client goes away first
 * (leave, a rejoin the relay refused, shutdown), as failed with the reason it went away.
 */
import type { DeliveryUpdate } from '../client/client';
import type { DeliveryView } from '../shared/panel-messages';

interface Waiter {
  resolve(delivery: DeliveryView): void;
  onProgress: ((progress: number) => void) | undefined;
  progress: number;
}

export class DeliveryWaiters {
  readonly #waiting = new Map<string, Set<Waiter>>();

  /** How many promises are still open (for tests and leak checks). */
  get size(): number {
    let count = 0;
    for (const set of this.#waiting.values()) count += set.size;
    return count;
  }

  wait(id: string, onProgress?: (progress: number) => void): Promise<DeliveryView> {
    return new Promise((resolve) => {
      const set = this.#waiting.get(id) ?? new Set<Waiter>();
      set.add({ resolve, onProgress, progress: 0 });
      this.#waiting.set(id, set);
    });
  }

  /** A delivery update from the client: reports progress, settles on delivered or failed. */
  update(id: string, delivery: DeliveryView): void {
    const set = this.#waiting.get(id);
    if (!set) return;
    const final = delivery.state === 'delivered' || delivery.state === 'failed';
    if (final) this.#waiting.delete(id);
    for (const waiter of set) {
      waiter.progress = delivery.progress;
      try {
        waiter.onProgress?.(delivery.progress);
      } catch {
        // A progress callback that throws must not keep its promise, nor the others, from settling.
      }
      if (final) waiter.resolve(delivery);
    }
  }

  /** Settles every open promise as failed with `reason`: the client that would have answered is gone. */
  failAll(reason: string): void {
    const all = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const set of all) for (const waiter of set) waiter.resolve({ state: 'failed', progress: waiter.progress, reason });
  }
}

/** A client's delivery update as the panel shows it. */
export function toDeliveryView(update: DeliveryUpdate): DeliveryView {
  const view: DeliveryView = { state: update.state, progress: update.progress };
  if (update.reason) view.reason = update.reason;
  if (update.discarded) view.discarded = true;
  return view;
}
