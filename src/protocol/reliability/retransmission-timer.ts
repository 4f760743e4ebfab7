/**
 * The sender's one timer (RFC 6298 §5 with QUIC's probe timeout): it runs while anything is in flight or a shut
 * window blocks the queue, backs off exponentially on consecutive expiries, and its first expiry after progress
 * comes after the probe timeout rather than the full retransmission timeout.
 */
import type { RttEstimator } from './rtt-estimator';
import type { ReliabilityTuning } from './tuning';

/** 2^30 times any RTO is far beyond maxRtoMs; capping the exponent keeps the product finite. */
const MAX_BACKOFF_EXPONENT = 30;

export class RetransmissionTimer {
  readonly #tuning: Readonly<ReliabilityTuning>;
  readonly #rtt: RttEstimator;
  #backoff = 0;
  /** When the timer was (re)started; undefined while it is stopped. */
  #startedAt: number | undefined;

  constructor(tuning: Readonly<ReliabilityTuning>, rtt: RttEstimator) {
    this.#tuning = tuning;
    this.#rtt = rtt;
  }

  /** Consecutive expiries without progress: the timer runs for rto × 2^this (capped at maxRtoMs). */
  get backoff(): number {
    return this.#backoff;
  }

  /** When the timer expires, or undefined while it is stopped. `peerWindow` is the window the peer advertised. */
  deadline(peerWindow: number): number | undefined {
    if (this.#startedAt === undefined) return undefined;
    const timeout = Math.min(this.#rtt.rtoMs * 2 ** this.#backoff, this.#tuning.maxRtoMs);
    // A shut window is probed on the full timeout: its probe asks the peer to make room, not about a loss.
    const probing = this.#backoff === 0 && peerWindow > 0;
    return this.#startedAt + (probing ? Math.min(this.#rtt.probeTimeoutMs(), timeout) : timeout);
  }

  /** The timer fired at `now`: the next expiry waits twice as long, counted from now. */
  expired(now: number): void {
    this.#backoff = Math.min(this.#backoff + 1, MAX_BACKOFF_EXPONENT);
    this.#startedAt = now;
  }

  /** The peer made progress: the next expiry is the short one again. */
  resetBackoff(): void {
    this.#backoff = 0;
  }

  /** Runs the timer while `needed` (from now unless already running, or from now anyway on `restart`), else stops it. */
  update(now: number, needed: boolean, restart: boolean): void {
    if (!needed) {
      this.#startedAt = undefined;
    } else if (restart || this.#startedAt === undefined) {
      this.#startedAt = now;
    }
  }
}
