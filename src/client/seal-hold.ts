/**
 * Messages of a sealed room sent before its keys exist. The keys come with the relay's salt, after the join began,
 * so what the user sends meanwhile waits here as plaintext in memory, never on the wire, and is sealed and put in
 * the outbox the moment the keys arrive. Bounded like the outbox it feeds (messages and bytes together). Pure.
 */
import { formatMessageId } from '../protocol/ids';
import type { DeliveryUpdate } from './types';

export interface HeldMessage<P> {
  id: bigint;
  payload: P;
  /** Plaintext bytes held (what the outbox will hold, sealed, give or take its overhead). */
  bytes: number;
}

export class SealHold<P> {
  readonly #held: HeldMessage<P>[] = [];
  #bytes = 0;

  get size(): number {
    return this.#held.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(message: HeldMessage<P>): DeliveryUpdate {
    this.#held.push(message);
    this.#bytes += message.bytes;
    return queuedUpdate(message.id);
  }

  /** Everything held, oldest first, and the hold empties (the keys arrived, or the client closed). */
  take(): HeldMessage<P>[] {
    const taken = this.#held.splice(0);
    this.#bytes = 0;
    return taken;
  }

  /** Drops a held message the user discarded. */
  discard(idText: string): DeliveryUpdate | undefined {
    const index = this.#held.findIndex((message) => formatMessageId(message.id) === idText);
    if (index < 0) return undefined;
    const [message] = this.#held.splice(index, 1);
    this.#bytes -= (message as HeldMessage<P>).bytes;
    return { id: idText, state: 'failed', progress: 0, reason: 'discarded', discarded: true };
  }

  pending(): DeliveryUpdate[] {
    return this.#held.map((message) => queuedUpdate(message.id));
  }
}

function queuedUpdate(id: bigint): DeliveryUpdate {
  return { id: formatMessageId(id), state: 'queued', progress: 0 };
}
