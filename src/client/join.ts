/**
 * When to send the next Join, and what a refusal means. Pure: time comes in as an argument (ms, monotonic).
 * Joins go out at once, then after `firstRetryMs`, doubling up to `maxRetryMs` while the relay does not answer.
 */
import { ErrorCode } from '../protocol/types';

/** First retry soon (ms): a lost Join on a LAN is the common case. */
export const DEFAULT_JOIN_RETRY_MS = 250;
/** A relay that comes back is found within this (ms). */
export const DEFAULT_MAX_JOIN_RETRY_MS = 2000;
/** Below this (ms) a silent relay address would be sent a flood of Joins. */
const MIN_JOIN_RETRY_MS = 10;

/** Join refusals that clear up by themselves after a reconnection (the client keeps trying). */
const RETRYABLE_ON_REJOIN: ReadonlySet<number> = new Set([ErrorCode.NameTaken, ErrorCode.RoomFull, ErrorCode.RelayFull, ErrorCode.RateLimited]);

/**
 * `retry`: keep joining (back from a blip, our old session may still hold the name, or the room is full for a
 * moment: the user is in this chat, so we do not give up on it). `fatal`: nothing retrying can fix (name taken on
 * the first join, wrong passphrase, bad version, ...): the client stops.
 */
export function classifyRefusal(code: number, rejoining: boolean): 'retry' | 'fatal' {
  return rejoining && RETRYABLE_ON_REJOIN.has(code) ? 'retry' : 'fatal';
}

export class JoinBackoff {
  readonly #firstMs: number;
  readonly #maxMs: number;
  #delayMs: number;
  #nextAt: number | undefined;

  constructor(firstRetryMs = DEFAULT_JOIN_RETRY_MS, maxRetryMs = DEFAULT_MAX_JOIN_RETRY_MS) {
    this.#firstMs = Math.max(MIN_JOIN_RETRY_MS, firstRetryMs);
    this.#maxMs = Math.max(this.#firstMs, maxRetryMs);
    this.#delayMs = this.#firstMs;
  }

  /** When the next Join is due (ms), or undefined when not joining. */
  get nextAt(): number | undefined {
    return this.#nextAt;
  }

  /** True while a join is under way (a Join is due, now or later). */
  get joining(): boolean {
    return this.#nextAt !== undefined;
  }

  /** Starts a new series of attempts: the first Join is due at `now`, the back-off starts over. */
  restart(now: number): void {
    this.#delayMs = this.#firstMs;
    this.#nextAt = now;
  }

  /** Stops joining (a Welcome was taken, or the client closed). */
  stop(): void {
    this.#nextAt = undefined;
  }

  /** True when a Join should be sent at `now`. */
  due(now: number): boolean {
    return this.#nextAt !== undefined && now >= this.#nextAt;
  }

  /** Records a Join sent at `now`; returns when the next one is due. */
  sent(now: number): number {
    this.#nextAt = now + this.#delayMs;
    this.#delayMs = Math.min(this.#delayMs * 2, this.#maxMs);
    return this.#nextAt;
  }
}
