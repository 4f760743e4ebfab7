/**
 * Splitting a message payload into fragments and putting it back together. Pure: time comes in as an argument.
 * Reassembly is bounded in bytes (counting what each held fragment and message costs besides its bytes, so a flood
 * of 1-byte fragments cannot exceed the bound) and in messages, and partial messages that stop growing expire and
 * are reported.
 */
import { HEADER_BYTES, MAX_FRAGMENTS } from './constants';
import type { MessageType } from './types';

/** Cuts `payload` into chunks of at most `chunkBytes` (all but the last exactly that size). */
export function splitPayload(payload: Uint8Array, chunkBytes: number): Uint8Array[] {
  if (chunkBytes <= 0) throw new RangeError('chunk size must be positive');
  if (payload.length === 0) throw new RangeError('a message payload is never empty');
  const count = Math.ceil(payload.length / chunkBytes);
  if (count > MAX_FRAGMENTS) throw new RangeError(`payload of ${payload.length} bytes needs ${count} fragments`);
  const chunks: Uint8Array[] = [];
  for (let start = 0; start < payload.length; start += chunkBytes) {
    chunks.push(payload.subarray(start, Math.min(start + chunkBytes, payload.length)));
  }
  return chunks;
}

/**
 * What holding one fragment costs besides its chunk (bytes): the Map entry and the copied Uint8Array with its
 * ArrayBuffer (about 64 B on V8), plus as much again as the datagram header it came with, so 1-byte fragments are
 * counted at about a hundred times their payload.
 */
export const FRAGMENT_OVERHEAD_BYTES = 64 + HEADER_BYTES;
/** What holding one partial message costs besides its fragments (bytes): its entry, key and chunk map. */
export const MESSAGE_OVERHEAD_BYTES = 256;

/** Bytes a partial message of `payloadBytes` in `fragments` fragments counts against `maxPendingBytes`. */
export function reassemblyCost(payloadBytes: number, fragments: number): number {
  return payloadBytes + fragments * FRAGMENT_OVERHEAD_BYTES + MESSAGE_OVERHEAD_BYTES;
}

export interface ReassemblyLimits {
  /** Largest payload accepted for a message type, in bytes. */
  maxMessageBytes(type: MessageType): number;
  /** Bytes held across all incomplete messages, overhead included (see reassemblyCost). */
  maxPendingBytes: number;
  /** Incomplete messages held at once. */
  maxPendingMessages: number;
  /** A partial message that receives nothing for this long (ms) is dropped and reported. */
  staleAfterMs: number;
}

export interface FragmentIn {
  /** Who the message comes from; message ids are unique per origin only. */
  origin: number;
  messageId: bigint;
  type: MessageType;
  flags: number;
  fragmentIndex: number;
  fragmentCount: number;
  chunk: Uint8Array;
}

export interface PartialInfo {
  origin: number;
  messageId: bigint;
  type: MessageType;
  flags: number;
  receivedFragments: number;
  fragmentCount: number;
  receivedBytes: number;
}

export type ReassemblyResult =
  | { status: 'complete'; payload: Uint8Array; info: PartialInfo }
  | { status: 'partial'; info: PartialInfo }
  | { status: 'duplicate' }
  | { status: 'rejected'; reason: 'too-large' | 'inconsistent' | 'over-capacity'; info?: PartialInfo };

interface Pending {
  info: PartialInfo;
  chunks: Map<number, Uint8Array>;
  lastActivity: number;
  /** What it counts against maxPendingBytes (see reassemblyCost). */
  cost: number;
}

export class Reassembler {
  readonly #limits: ReassemblyLimits;
  readonly #pending = new Map<string, Pending>();
  #pendingBytes = 0;

  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
  }

  /** Bytes counted against `maxPendingBytes`: the chunks held plus their overhead. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  get pendingMessages(): number {
    return this.#pending.size;
  }

  /** Adds one fragment. A single-fragment message completes at once without being held. */
  add(fragment: FragmentIn, now: number): ReassemblyResult {
    // decodeHeader already refuses these; checked again because a missing index would complete a message with a hole.
    if (fragment.fragmentCount === 0 || fragment.fragmentIndex >= fragment.fragmentCount) {
      return { status: 'rejected', reason: 'inconsistent' };
    }
    const maxBytes = this.#limits.maxMessageBytes(fragment.type);
    if (fragment.fragmentCount === 1) {
      if (fragment.chunk.length > maxBytes) return { status: 'rejected', reason: 'too-large' };
      const info = infoOf(fragment, 1, fragment.chunk.length);
      return { status: 'complete', payload: fragment.chunk, info };
    }
    const key = `${fragment.origin}:${fragment.messageId}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      if (this.#pending.size >= this.#limits.maxPendingMessages) return { status: 'rejected', reason: 'over-capacity' };
      if (this.#pendingBytes + MESSAGE_OVERHEAD_BYTES > this.#limits.maxPendingBytes) return { status: 'rejected', reason: 'over-capacity' };
      pending = { info: infoOf(fragment, 0, 0), chunks: new Map(), lastActivity: now, cost: MESSAGE_OVERHEAD_BYTES };
      this.#pending.set(key, pending);
      this.#pendingBytes += MESSAGE_OVERHEAD_BYTES;
    } else if (
      pending.info.type !== fragment.type ||
      pending.info.fragmentCount !== fragment.fragmentCount ||
      pending.info.flags !== fragment.flags
    ) {
      this.#drop(key, pending);
      return { status: 'rejected', reason: 'inconsistent', info: pending.info };
    }
    if (pending.chunks.has(fragment.fragmentIndex)) return { status: 'duplicate' };
    const grownBytes = pending.info.receivedBytes + fragment.chunk.length;
    if (grownBytes > maxBytes) {
      this.#drop(key, pending);
      return { status: 'rejected', reason: 'too-large', info: pending.info };
    }
    const fragmentCost = fragment.chunk.length + FRAGMENT_OVERHEAD_BYTES;
    if (this.#pendingBytes + fragmentCost > this.#limits.maxPendingBytes) {
      this.#drop(key, pending);
      return { status: 'rejected', reason: 'over-capacity', info: pending.info };
    }
    // Copy: the chunk may be a view into a socket buffer the caller reuses.
    pending.chunks.set(fragment.fragmentIndex, fragment.chunk.slice());
    pending.info.receivedFragments++;
    pending.info.receivedBytes = grownBytes;
    pending.lastActivity = now;
    pending.cost += fragmentCost;
    this.#pendingBytes += fragmentCost;
    if (pending.info.receivedFragments < pending.info.fragmentCount) return { status: 'partial', info: pending.info };
    const payload = new Uint8Array(pending.info.receivedBytes);
    let offset = 0;
    for (let index = 0; index < pending.info.fragmentCount; index++) {
      const chunk = pending.chunks.get(index) as Uint8Array;
      payload.set(chunk, offset);
      offset += chunk.length;
    }
    this.#drop(key, pending);
    return { status: 'complete', payload, info: pending.info };
  }

  /** Forgets every partial message of `origin` (it left) and returns what was dropped. */
  dropOrigin(origin: number): PartialInfo[] {
    const dropped: PartialInfo[] = [];
    for (const [key, pending] of this.#pending) {
      if (pending.info.origin === origin) {
        this.#drop(key, pending);
        dropped.push(pending.info);
      }
    }
    return dropped;
  }

  /**
   * Forgets every partial copy of message `messageId`, whatever its origin (the message arrived whole from another
   * origin: a sender that rejoined under a new member id resent it), and returns what was dropped.
   */
  dropMessage(messageId: bigint, ofOrigin: (origin: number) => boolean = () => true): PartialInfo[] {
    const dropped: PartialInfo[] = [];
    for (const [key, pending] of this.#pending) {
      if (pending.info.messageId === messageId && ofOrigin(pending.info.origin)) {
        this.#drop(key, pending);
        dropped.push(pending.info);
      }
    }
    return dropped;
  }

  /** Drops partial messages that have been idle for `staleAfterMs` and returns them, to be reported. */
  expire(now: number): PartialInfo[] {
    const expired: PartialInfo[] = [];
    for (const [key, pending] of this.#pending) {
      if (now - pending.lastActivity >= this.#limits.staleAfterMs) {
        this.#drop(key, pending);
        expired.push(pending.info);
      }
    }
    return expired;
  }

  /** When `expire` next has work to do, or undefined when nothing is pending. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const pending of this.#pending.values()) {
      const at = pending.lastActivity + this.#limits.staleAfterMs;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  #drop(key: string, pending: Pending): void {
    if (this.#pending.get(key) !== pending) return;
    this.#pending.delete(key);
    this.#pendingBytes -= pending.cost;
  }
}

function infoOf(fragment: FragmentIn, receivedFragments: number, receivedBytes: number): PartialInfo {
  return {
    origin: fragment.origin,
    messageId: fragment.messageId,
    type: fragment.type,
    flags: fragment.flags,
    receivedFragments,
    fragmentCount: fragment.fragmentCount,
    receivedBytes,
  };
}
