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
  /** True while no Join may go out until the next `sent` (the room keys for the relay's salt are being derived). */
  #held = false;

  constructor(firstRetryMs = DEFAULT_JOIN_RETRY_MS, maxRetryMs = DEFAULT_MAX_JOIN_RETRY_MS) {
    this.#firstMs = Math.max(MIN_JOIN_RETRY_MS, firstRetryMs);
    this.#maxMs = Math.max(this.#firstMs, maxRetryMs);
    this.#delayMs = this.#firstMs;
  }

  /** When the next Join is due (ms), or undefined when not joining or held. */
  get nextAt(): number | undefined {
    return this.#held ? undefined : this.#nextAt;
  }

  /** True while a join is under way (a Join is due, now or later). */
  get joining(): boolean {
    return this.#nextAt !== undefined;
  }

  /** Starts a new series of attempts: the first Join is due at `now`, the back-off starts over. */
  restart(now: number): void {
    this.#delayMs = this.#firstMs;
    this.#nextAt = now;
    this.#held = false;
  }

  /** Stops joining (a Welcome was taken, or the client closed). */
  stop(): void {
    this.#nextAt = undefined;
    this.#held = false;
  }

  /**
   * Sends nothing until the next `sent`, however long that takes: a Join the relay challenged must carry the room
   * proof, which needs keys derived with the Challenge's salt, and the Joins without it that the back-off would
   * send meanwhile only earn more Challenges (and count against us at the relay).
   */
  hold(): void {
    if (this.#nextAt !== undefined) this.#held = true;
  }

  /** True while held (see hold). */
  get held(): boolean {
    return this.#held;
  }

  /** True when a Join should be sent at `now`. */
  due(now: number): boolean {
    return !this.#held && this.#nextAt !== undefined && now >= this.#nextAt;
  }

  /** Records a Join sent at `now` (ending a hold); returns when the next one is due. */
  sent(now: number): number {
    this.#held = false;
    this.#nextAt = now + this.#delayMs;
    this.#delayMs = Math.min(this.#delayMs * 2, this.#maxMs);
    return this.#nextAt;
  }
}
