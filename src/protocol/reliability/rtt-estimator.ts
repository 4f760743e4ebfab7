/**
 * Round-trip estimation: RFC 6298's smoothed RTT and variance, with the peer's ack delay removed as in RFC 9002
 * §5.3, and the two timeouts derived from them: the retransmission timeout and the shorter probe timeout.
 */
import type { ReliabilityTuning } from './tuning';

export class RttEstimator {
  readonly #tuning: Readonly<ReliabilityTuning>;
  #smoothed: number | undefined;
  #variance: number | undefined;
  #latest: number | undefined;
  #min: number | undefined;
  /** The smoothed path round trip: every sample less the ack delay the peer reports (see pathMs). */
  #path: number | undefined;
  #rto: number;

  constructor(tuning: Readonly<ReliabilityTuning>) {
    this.#tuning = tuning;
    this.#rto = Math.min(Math.max(tuning.initialRtoMs, tuning.minRtoMs), tuning.maxRtoMs);
  }

  /** Smoothed round-trip time (ms); undefined until the first sample. */
  get smoothedMs(): number | undefined {
    return this.#smoothed;
  }

  /**
   * The round trip of the path itself (ms, smoothed like srtt), for people to read: every sample less the ack delay
   * the peer reports (capped at maxAckDelayMs). The timers keep the cautious estimate above, which subtracts the
   * delay only above the minimum round trip (RFC 9002 §5.3): chat's lone messages are all acknowledged after the
   * full delay, so their minimum carries it too, and a loopback showed "round trip 23 ms" for a path of well under
   * one. A peer that lies about its delay moves only this figure, never a timer.
   */
  get pathMs(): number | undefined {
    return this.#path;
  }

  /** RTTVAR of RFC 6298 (ms); undefined until the first sample. */
  get varianceMs(): number | undefined {
    return this.#variance;
  }

  /** Retransmission timeout (ms) before backoff. */
  get rtoMs(): number {
    return this.#rto;
  }

  /**
   * The round trip loss detection waits on (RFC 9002 §6.1.2): the larger of the smoothed and the latest sample, so
   * a sudden slowdown is not taken for loss; the RTO stands in before any sample.
   */
  get lossRoundTripMs(): number {
    return Math.max(this.#smoothed ?? this.#rto, this.#latest ?? 0);
  }

  /** Takes one sample (ms) with the delay (ms) the peer says it held its ack. */
  sample(sampleMs: number, ackDelayMs: number): void {
    if (!Number.isFinite(sampleMs) || sampleMs < 0) return;
    const tuning = this.#tuning;
    this.#latest = sampleMs;
    this.#min = this.#min === undefined ? sampleMs : Math.min(this.#min, sampleMs);
    // A hostile or late delay is capped at what the peer promised, and never pushes the sample below min RTT.
    const delay = Number.isFinite(ackDelayMs) ? Math.min(Math.max(ackDelayMs, 0), tuning.maxAckDelayMs) : 0;
    const adjusted = sampleMs - delay >= this.#min ? sampleMs - delay : sampleMs;
    const path = Math.max(0, sampleMs - delay);
    this.#path = this.#path === undefined ? path : 0.875 * this.#path + 0.125 * path;
    if (this.#smoothed === undefined || this.#variance === undefined) {
      this.#smoothed = adjusted;
      this.#variance = adjusted / 2;
    } else {
      this.#variance = 0.75 * this.#variance + 0.25 * Math.abs(this.#smoothed - adjusted);
      this.#smoothed = 0.875 * this.#smoothed + 0.125 * adjusted;
    }
    // The peer may hold its ack up to maxAckDelayMs, so a timer without that slack would fire on a healthy link.
    const rto = this.#smoothed + Math.max(tuning.clockGranularityMs, 4 * this.#variance) + tuning.maxAckDelayMs;
    this.#rto = Math.min(Math.max(rto, tuning.minRtoMs), tuning.maxRtoMs);
  }

  /** The first expiry after progress (ms): a round trip and the peer's ack delay, without the minRtoMs floor. */
  probeTimeoutMs(): number {
    const tuning = this.#tuning;
    if (this.#smoothed === undefined) return this.#rto;
    const probe = this.#smoothed + Math.max(tuning.clockGranularityMs, 4 * (this.#variance ?? 0)) + tuning.maxAckDelayMs;
    return Math.max(probe, tuning.minProbeTimeoutMs);
  }
}
