/**
 * The datagrams a LossyProxy carries, decoded just enough to name them (type, member id), so that a test waits for
 * one (the heartbeat a client sends, the relay's answer) instead of sleeping. Pass `watch.tap` as the proxy's tap.
 */
import { decodePacket, hasMagic } from '../../src/protocol/codec';
import type { Direction, LossyProxyOptions } from './lossy-proxy';

export interface SeenDatagram {
  direction: Direction;
  /** The client's address as the proxy names it, `host:port`. */
  client: string;
  /** The packet type, or undefined when the datagram does not decode (garbage, plaintext). */
  type: number | undefined;
}

type Accept = (datagram: SeenDatagram) => boolean;

interface Waiter {
  accept: Accept;
  resolve: (datagram: SeenDatagram) => void;
}

export class WireWatch {
  readonly seen: SeenDatagram[] = [];
  readonly #waiters = new Set<Waiter>();

  readonly tap: NonNullable<LossyProxyOptions['tap']> = (direction, client, datagram) => {
    const decoded = hasMagic(datagram) ? decodePacket(datagram) : undefined;
    const seen: SeenDatagram = { direction, client, type: decoded?.ok ? decoded.value.type : undefined };
    this.seen.push(seen);
    for (const waiter of this.#waiters) {
      if (!waiter.accept(seen)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(seen);
    }
  };

  /** The first datagram from now on that `accept` takes; rejects with `what` after `timeoutMs`. */
  next(accept: Accept, what: string, timeoutMs = 5000): Promise<SeenDatagram> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        accept,
        resolve: (datagram) => {
          clearTimeout(timer);
          resolve(datagram);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Datagrams seen since `mark` (a length of `seen` taken earlier) that `accept` takes. */
  since(mark: number, accept: Accept): SeenDatagram[] {
    return this.seen.slice(mark).filter(accept);
  }
}

/** A datagram of `type` on `client`'s path in `direction`. */
export function datagramOf(direction: Direction, client: string, type: number): Accept {
  return (seen) => seen.direction === direction && seen.client === client && seen.type === type;
}
