/**
 * What the user sent and the relay has not acknowledged yet: kept across reconnections, bounded in messages and
 * bytes, each message queued → sending → delivered, or failed after `deliveryTimeoutMs` (then retried, or expired
 * and dropped). Pure: time comes in as an argument (ms, monotonic); the channel it sends on is given per call.
 */
import { MAX_FRAGMENT_BYTES } from '../protocol/constants';
import { splitPayload } from '../protocol/fragment';
import { formatMessageId } from '../protocol/ids';
import type { Priority } from '../protocol/reliability';
import { Flag, PacketType, type MessageFragment, type MessageType } from '../protocol/types';
import type { DeliveryState, DeliveryUpdate } from './types';

/** A few hours of typing while the relay is away; beyond it a person is better told than queued. */
export const OUTBOX_MAX_MESSAGES = 1000;
/**
 * Twice the largest image a relay may announce (16 MiB, see limits.ts): a few images and all the texts one types
 * during an outage, and a bound far below the extension host's heap.
 */
export const OUTBOX_MAX_BYTES = 32 * 1024 * 1024;
/** Per fragment kept (bytes): the fragment object and its chunk's view; bench/outbox-memory.ts measures ~170 B. */
export const OUTBOX_FRAGMENT_OVERHEAD_BYTES = 192;
/** Per message kept (bytes): its entry, id, ticket set and map slots, rounded up. */
export const OUTBOX_MESSAGE_OVERHEAD_BYTES = 512;
/** A minute of trying (ms) before the user is told and offered a retry. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 60_000;
/** A failed message waits this long (ms) for a Retry, then leaves the outbox: a failed 10 MB image is not kept all day. */
export const FAILED_EXPIRY_MS = 10 * 60_000;
/** Delivery progress of an image is reported at most this many times. */
const PROGRESS_STEPS = 20;

/** The part of a ReliableChannel the outbox sends on. */
export interface FragmentSink {
  send(item: MessageFragment, bytes: number, priority: Priority, now: number): number | undefined;
  readonly exhausted: boolean;
}

export interface OutboxEntry {
  readonly id: bigint;
  readonly idText: string;
  readonly type: typeof PacketType.Text | typeof PacketType.Image;
  readonly fragments: readonly MessageFragment[];
  /** What keeping it costs, bytes: its chunks plus bookkeeping. */
  readonly cost: number;
  /** Tickets of the current channel still waiting for the relay's acknowledgement. */
  readonly waiting: Set<number>;
  acknowledged: number;
  state: DeliveryState;
  /** When the current attempt started (ms): failure is declared relative to it. */
  attemptStartedAt: number;
  /** When it failed (ms): it expires relative to it. */
  failedAt: number | undefined;
}

export interface OutboxOptions {
  deliveryTimeoutMs?: number;
  maxMessages?: number;
  maxBytes?: number;
  failedExpiryMs?: number;
  /** Bytes a fragment costs on the wire besides its chunk (the header), as the channel counts them. */
  headerBytes: number;
}

export class Outbox {
  readonly #entries = new Map<bigint, OutboxEntry>();
  readonly #tickets = new Map<number, OutboxEntry>();
  readonly #timeoutMs: number;
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #expiryMs: number;
  readonly #headerBytes: number;
  #bytes = 0;

  constructor(options: OutboxOptions) {
    this.#timeoutMs = options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    this.#maxMessages = options.maxMessages ?? OUTBOX_MAX_MESSAGES;
    this.#maxBytes = options.maxBytes ?? OUTBOX_MAX_BYTES;
    this.#expiryMs = options.failedExpiryMs ?? FAILED_EXPIRY_MS;
    this.#headerBytes = options.headerBytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** What the kept messages cost, bytes (chunks plus bookkeeping). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Adds a message (queued). Returns undefined and the reason in `refused` when it does not fit: the caller tells
   * the user at once instead of queuing what memory cannot hold.
   */
  add(
    id: bigint,
    type: OutboxEntry['type'],
    fragments: readonly MessageFragment[],
    now: number,
  ): { entry: OutboxEntry; refused?: undefined } | { entry?: undefined; refused: string } {
    const what = type === PacketType.Image ? 'image' : 'message';
    if (this.#entries.size >= this.#maxMessages) {
      return { refused: `the outbox already holds ${this.#entries.size} messages not yet delivered (at most ${this.#maxMessages}); the ${what} was not queued: wait until the relay has them, or discard failed ones` };
    }
    const cost = outboxCost(fragments);
    if (this.#bytes + cost > this.#maxBytes) {
      return {
        refused:
          `the outbox holds ${mebibytes(this.#bytes)} not yet delivered and the ${what} needs ${mebibytes(cost)}, ` +
          `more than the ${mebibytes(this.#maxBytes)} it may hold; the ${what} was not queued: wait until the relay has the others, or discard failed ones`,
      };
    }
    const entry: OutboxEntry = {
      id,
      idText: formatMessageId(id),
      type,
      fragments,
      cost,
      waiting: new Set(),
      acknowledged: 0,
      state: 'queued',
      attemptStartedAt: now,
      failedAt: undefined,
    };
    this.#entries.set(id, entry);
    this.#bytes += cost;
    return { entry };
  }

  get(idText: string): OutboxEntry | undefined {
    for (const entry of this.#entries.values()) if (entry.idText === idText) return entry;
    return undefined;
  }

  /** Messages to send on a new channel, oldest first: all but the failed ones. */
  sendable(): OutboxEntry[] {
    return [...this.#entries.values()].filter((entry) => entry.state !== 'failed');
  }

  /**
   * Hands every fragment of `entry` to `sink` and marks it sending. `exhausted`: the sink ran out of sequence
   * numbers (the entry stays queued for the next session); a full sink fails the entry.
   */
  transmit(entry: OutboxEntry, sink: FragmentSink, now: number): { update: DeliveryUpdate | undefined; exhausted: boolean } {
    const priority: Priority = entry.type === PacketType.Image ? 'bulk' : 'normal';
    this.#forgetTickets(entry);
    for (const fragment of entry.fragments) {
      const ticket = sink.send(fragment, this.#headerBytes + fragment.chunk.length, priority, now);
      if (ticket === undefined) {
        this.#forgetTickets(entry);
        if (sink.exhausted) return { update: this.#setState(entry, 'queued', now), exhausted: true };
        return { update: this.#setState(entry, 'failed', now, 'too much is waiting to be sent; try again shortly'), exhausted: false };
      }
      entry.waiting.add(ticket);
      this.#tickets.set(ticket, entry);
    }
    return { update: this.#setState(entry, 'sending', now), exhausted: false };
  }

  /** The relay acknowledged a ticket: the update to report, if any (delivered, or an image's progress). */
  acknowledged(ticket: number): DeliveryUpdate | undefined {
    const entry = this.#tickets.get(ticket);
    if (!entry) return undefined;
    this.#tickets.delete(ticket);
    if (!entry.waiting.delete(ticket)) return undefined;
    entry.acknowledged++;
    if (entry.waiting.size === 0) {
      this.#remove(entry);
      entry.state = 'delivered';
      return deliveryOf(entry);
    }
    if (entry.type !== PacketType.Image) return undefined;
    const step = Math.floor((entry.acknowledged * PROGRESS_STEPS) / entry.fragments.length);
    const before = Math.floor(((entry.acknowledged - 1) * PROGRESS_STEPS) / entry.fragments.length);
    return step === before ? undefined : deliveryOf(entry);
  }

  /** The channel is gone: what was sending waits (queued) for the next one. */
  sessionEnded(): void {
    this.#tickets.clear();
    for (const entry of this.#entries.values()) {
      entry.waiting.clear();
      entry.acknowledged = 0;
      if (entry.state === 'sending') entry.state = 'queued';
    }
  }

  /** A failed message starts a new attempt at `now`; undefined when there is no failed message `idText`. */
  retry(idText: string, now: number): OutboxEntry | undefined {
    const entry = this.get(idText);
    if (!entry || entry.state !== 'failed') return undefined;
    entry.attemptStartedAt = now;
    entry.failedAt = undefined;
    return entry;
  }

  /** Marks an entry queued (waiting for a channel); the update to report. */
  queue(entry: OutboxEntry, now: number): DeliveryUpdate {
    return this.#setState(entry, 'queued', now);
  }

  /** Removes a failed or queued message at the user's request; its last update, or undefined. */
  discard(idText: string): DeliveryUpdate | undefined {
    const entry = this.get(idText);
    if (!entry || (entry.state !== 'failed' && entry.state !== 'queued')) return undefined;
    this.#remove(entry);
    if (entry.state === 'queued') entry.state = 'failed';
    return { ...deliveryOf(entry, 'discarded'), discarded: true };
  }

  /** The relay refused a message for good (a Notice): it leaves the outbox, failed. */
  refusedByRelay(id: bigint, reason: string, now: number): DeliveryUpdate | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#remove(entry);
    return this.#setState(entry, 'failed', now, reason);
  }

  /**
   * Messages whose attempt lasted `deliveryTimeoutMs` fail (with `why`); failed ones older than the expiry leave
   * the outbox. Returns the updates to report.
   */
  poll(now: number, why: string): DeliveryUpdate[] {
    const updates: DeliveryUpdate[] = [];
    for (const entry of [...this.#entries.values()]) {
      if ((entry.state === 'sending' || entry.state === 'queued') && now - entry.attemptStartedAt >= this.#timeoutMs) {
        updates.push(this.#setState(entry, 'failed', now, why));
      } else if (entry.state === 'failed' && entry.failedAt !== undefined && now - entry.failedAt >= this.#expiryMs) {
        this.#remove(entry);
        updates.push({ ...deliveryOf(entry, 'not delivered, and no longer kept for a retry'), discarded: true });
      }
    }
    return updates;
  }

  /** When `poll` next has work to do (ms), or undefined. */
  nextWakeup(): number | undefined {
    let next: number | undefined;
    for (const entry of this.#entries.values()) {
      const at = entry.state === 'failed' ? (entry.failedAt ?? Infinity) + this.#expiryMs : entry.attemptStartedAt + this.#timeoutMs;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Every message not yet delivered, oldest first. */
  pending(): DeliveryUpdate[] {
    return [...this.#entries.values()].map((entry) => deliveryOf(entry));
  }

  #setState(entry: OutboxEntry, state: DeliveryState, now: number, reason?: string): DeliveryUpdate {
    entry.state = state;
    entry.failedAt = state === 'failed' ? now : undefined;
    return deliveryOf(entry, reason);
  }

  #remove(entry: OutboxEntry): void {
    if (this.#entries.get(entry.id) !== entry) return;
    this.#entries.delete(entry.id);
    this.#bytes -= entry.cost;
    this.#forgetTickets(entry);
  }

  #forgetTickets(entry: OutboxEntry): void {
    for (const ticket of entry.waiting) this.#tickets.delete(ticket);
    entry.waiting.clear();
    entry.acknowledged = 0;
  }
}

/** The fragments of a payload as the client sends them (the member id is filled in at transmission). */
export function fragmentsOf(type: MessageType, payload: Uint8Array, messageId: bigint, extraFlags = 0): MessageFragment[] {
  const chunks = splitPayload(payload, MAX_FRAGMENT_BYTES);
  return chunks.map((chunk, index) => ({
    type,
    flags: Flag.Reliable | extraFlags,
    memberId: 0,
    messageId,
    fragmentIndex: index,
    fragmentCount: chunks.length,
    chunk,
  }));
}

/** What keeping `fragments` in the outbox costs, bytes. */
export function outboxCost(fragments: readonly MessageFragment[]): number {
  let bytes = OUTBOX_MESSAGE_OVERHEAD_BYTES;
  for (const fragment of fragments) bytes += fragment.chunk.length + OUTBOX_FRAGMENT_OVERHEAD_BYTES;
  return bytes;
}

function deliveryOf(entry: OutboxEntry, reason?: string): DeliveryUpdate {
  const update: DeliveryUpdate = {
    id: entry.idText,
    state: entry.state,
    progress: entry.state === 'delivered' ? 1 : entry.acknowledged / entry.fragments.length,
  };
  if (reason) update.reason = reason;
  return update;
}

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
