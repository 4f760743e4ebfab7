/**
 * Loss detection as in QUIC (RFC 9002 §6.1). A datagram is lost once a datagram transmitted `packetThreshold`
 * transmissions after it is acknowledged, or once it has been out for `timeThreshold` round trips while a later one
 * was acknowledged. Transmission numbers (QUIC's packet numbers), not sequence numbers, are compared, so repeated
 * selective acks cannot resend a datagram twice in one round trip.
 *
 * Two cautions keep reordering from causing storms: an ack for a resent datagram counts as evidence only for its
 * first copy (it may be that copy, arriving late), and an ack cut to its MAX_ACK_RANGES lowest runs says nothing
 * about seqs above its last range. A copy resent on the timer is taken to be the one that arrived, but a datagram
 * above the highest seq an ack reports received is declared lost only once it has been out for a whole
 * retransmission timeout, never by count: nothing shows the receiver skipped it.
 *
 * That timeout backs off. A receiver that is far behind (its process busy, its socket queue long) acks first copies
 * late, and each ack for a datagram the timer probed looks like news that everything sent before the probe is
 * gone; once every datagram in the window has been resent, no ack yields an RTT sample any more (Karn), so the
 * timeout would never grow, and the receiver would be sent its whole window again each time, deepening the backlog
 * it is behind on: congestion collapse (a relay's receivers got nothing but duplicates for seconds). So each time
 * datagrams are declared lost this way the next such declaration waits twice as long, as TCP backs off its RTO
 * (RFC 6298 §5.5), until an ack yields a sample again (the datagrams it covers newest was sent once).
 */
import { MAX_ACK_RANGES } from '../codec';
import type { AckBody } from '../types';
import type { RttEstimator } from './rtt-estimator';
import type { Outstanding, SequenceWindow } from './send-window';
import { MAX_SEQUENCE, type ReliabilityTuning } from './tuning';

/** Largest multiple of the RTO the backed-off timeout reaches (maxRtoMs caps it first at any sensible RTO). */
const MAX_TAIL_BACKOFF = 64;

/** The highest seq an ack reports received. */
function highestReceived(ack: AckBody): number {
  let highest = ack.cumulative;
  for (const range of ack.ranges.slice(0, MAX_ACK_RANGES)) highest = Math.max(highest, range.last);
  return highest;
}

/** The highest seq an ack gives the full picture of: all of them unless it was cut to MAX_ACK_RANGES runs. */
function describedUpTo(ack: AckBody): number {
  return ack.ranges.length < MAX_ACK_RANGES ? MAX_SEQUENCE : highestReceived(ack);
}

/**
 * Which transmission of a datagram the ack is for, as far as loss detection may assume. For a resent datagram we
 * cannot tell which copy arrived, and overestimating would declare everything sent in between lost. So: the first
 * copy (a safe lower bound), unless the latest went out on the timer, when the earlier ones were out for a whole
 * RTO and are most likely gone. If they were only late (a stalled receiver), what was sent after them lies above
 * what the ack shows received, where only a whole timeout declares a loss (see LossDetector's receivedUpTo).
 *
 * No "the ack came at least min RTT after the probe" test: min RTT includes the peer's ack delay and queueing, and
 * an ack for a probe that fills a hole is immediate, so that test threw away the only evidence a lossy tail gets,
 * leaving each retransmission timeout to recover just the two datagrams it resent.
 */
function arrivedTransmission(entry: Outstanding<unknown>): number {
  if (entry.transmissions === 1 || entry.lastSentByTimer) return entry.lastTransmission;
  return entry.firstTransmission;
}

export class LossDetector {
  readonly #tuning: Readonly<ReliabilityTuning>;
  readonly #rtt: RttEstimator;
  /** The latest transmission known to have arrived: the reference point of loss detection. */
  #largestAckedTransmission = 0;
  /**
   * Seqs up to here were described by the latest ack: anything of them still in flight was missing. An ack cut to
   * its MAX_ACK_RANGES lowest runs says nothing above its last range, and silence is not evidence of loss there.
   */
  #describedUpTo = 0;
  /**
   * The highest seq the latest ack shows received. Below it the receiver has skipped what it lacks, and the usual
   * thresholds apply. Above it the only "later" datagram can be a timer probe, whose ack may be for an earlier copy
   * that a stalled receiver is only now getting to: there a datagram is lost only once out for a whole timeout.
   */
  #receivedUpTo = 0;
  /** When an unacknowledged datagram crosses the time threshold; undefined when none is close to it. */
  #deadline: number | undefined;
  /** Multiplies the timeout after which unreported datagrams count as lost; doubles per use, up to maxRtoMs. */
  #tailBackoff = 1;

  constructor(tuning: Readonly<ReliabilityTuning>, rtt: RttEstimator) {
    this.#tuning = tuning;
    this.#rtt = rtt;
  }

  /** When detect() must run again to find a datagram lost by time, or undefined. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** The newest ack (highest cumulative point so far) gives the picture of what the receiver is missing. */
  believe(ack: AckBody): void {
    this.#describedUpTo = describedUpTo(ack);
    this.#receivedUpTo = highestReceived(ack);
  }

  /** These datagrams were just acknowledged: move the reference point to the latest transmission that arrived. */
  acknowledged(entries: readonly Outstanding<unknown>[]): void {
    // The sender takes its RTT sample from the newest of them when it was sent once: the timeout is measured again.
    if (entries[entries.length - 1]?.transmissions === 1) this.#tailBackoff = 1;
    for (const entry of entries) {
      const arrived = arrivedTransmission(entry);
      if (arrived > this.#largestAckedTransmission) this.#largestAckedTransmission = arrived;
    }
  }

  /** The datagrams in `window` that are lost at `now`, oldest first; sets the deadline for those close to it. */
  detect<T>(window: SequenceWindow<Outstanding<T>>, now: number): Outstanding<T>[] {
    this.#deadline = undefined;
    const lost: Outstanding<T>[] = [];
    if (this.#largestAckedTransmission === 0) return lost;
    const tuning = this.#tuning;
    const rto = Math.min(this.#rtt.rtoMs * this.#tailBackoff, Math.max(tuning.maxRtoMs, this.#rtt.rtoMs));
    let unreportedLost = false;
    const lossDelay = Math.max(tuning.timeThreshold * this.#rtt.lossRoundTripMs, tuning.clockGranularityMs);
    for (let seq = window.low, end = Math.min(window.high - 1, this.#describedUpTo); seq <= end; seq++) {
      const entry = window.get(seq);
      if (entry === undefined) continue;
      // Only a datagram transmitted before one that arrived can be lost; a resent one waits for fresh evidence.
      if (entry.lastTransmission >= this.#largestAckedTransmission) continue;
      const skipped = entry.seq < this.#receivedUpTo;
      const overtaken = skipped && this.#largestAckedTransmission - entry.lastTransmission >= tuning.packetThreshold;
      // Compare against the very deadline nextWakeup() reports, so a poll at that time always finds it due.
      const deadline = entry.lastSentAt + (skipped ? lossDelay : Math.max(lossDelay, rto));
      if (overtaken || now >= deadline) {
        if (!skipped) unreportedLost = true;
        lost.push(entry);
      } else if (this.#deadline === undefined || deadline < this.#deadline) {
        this.#deadline = deadline;
      }
    }
    if (unreportedLost) this.#tailBackoff = Math.min(2 * this.#tailBackoff, MAX_TAIL_BACKOFF);
    return lost;
  }
}
