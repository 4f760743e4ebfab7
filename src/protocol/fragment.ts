/**
 * Splitting a message payload into fragments and putting it back together. Pure: time comes in as an argument.
 * Reassembly is bounded in bytes and in messages, and partial messages that stop growing expire and are reported.
 */
import { MAX_FRAGMENTS } from './constants';
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

export interface ReassemblyLimits {
  /** Largest payload accepted for a message type, in bytes. */
  maxMessageBytes(type: MessageType): number;
  /** Bytes held across all incomplete messages. */
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
}

export class Reassembler {
  readonly #limits: ReassemblyLimits;
  readonly #pending = new Map<string, Pending>();
  #pendingBytes = 0;

  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
  }

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
      pending = { info: infoOf(fragment, 0, 0), chunks: new Map(), lastActivity: now };
      this.#pending.set(key, pending);
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
    if (this.#pendingBytes + fragment.chunk.length > this.#limits.maxPendingBytes) {
      this.#drop(key, pending);
      return { status: 'rejected', reason: 'over-capacity', info: pending.info };
    }
    // Copy: the chunk may be a view into a socket buffer the caller reuses.
    pending.chunks.set(fragment.fragmentIndex, fragment.chunk.slice());
    pending.info.receivedFragments++;
    pending.info.receivedBytes = grownBytes;
    pending.lastActivity = now;
    this.#pendingBytes += fragment.chunk.length;
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
    this.#pendingBytes -= pending.info.receivedBytes;
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
