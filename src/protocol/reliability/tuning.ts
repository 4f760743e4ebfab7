/** The reliability layer's tunable constants, their defaults with the reason for each, and the limits they obey. */

/** Largest sequence number the u32 wire field carries; a channel never assigns a larger one (it never wraps). */
export const MAX_SEQUENCE = 0xffff_ffff;

/** The advertised window travels in a u16 field. */
const MAX_ADVERTISED_WINDOW = 0xffff;

export function isSequenceNumber(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_SEQUENCE;
}

export interface ReliabilityTuning {
  /** Most datagrams in flight (unacknowledged) at once; the only brake, as there is no congestion control. */
  sendWindowPackets: number;
  /** Out-of-order datagrams buffered above the cumulative point; anything further ahead is dropped. */
  receiveWindowPackets: number;
  /** A delayed ack goes out after this many new in-order datagrams... */
  ackEveryPackets: number;
  /** ...or this long (ms) after the first of them arrived, whichever comes first. Both ends use the same value. */
  maxAckDelayMs: number;
  /** Retransmission timeout (ms) before any round trip has been measured. */
  initialRtoMs: number;
  /** Smallest retransmission timeout (ms). */
  minRtoMs: number;
  /**
   * Smallest probe timeout (ms): the first expiry of the timer after progress comes after
   * max(srtt + 4·rttvar + maxAckDelayMs, this) rather than the full retransmission timeout (QUIC's PTO, RFC 9002
   * §6.2, TCP's tail loss probe): a lost tail is found in a round trip, not after minRtoMs.
   */
  minProbeTimeoutMs: number;
  /** Largest retransmission timeout (ms), also the cap of the backed-off timer. */
  maxRtoMs: number;
  /** Clock granularity (ms): G of RFC 6298, kGranularity of RFC 9002. */
  clockGranularityMs: number;
  /** kPacketThreshold of RFC 9002: lost once a datagram this many transmissions later is acknowledged. */
  packetThreshold: number;
  /** kTimeThreshold of RFC 9002: lost once out this many round trips while a later datagram was acknowledged. */
  timeThreshold: number;
  /**
   * Datagrams resent when the retransmission timer expires: the oldest, with the newest in flight as the last; with
   * fewer in flight than this, the oldest again.
   */
  rtoBurstPackets: number;
  /** Bytes (as given to send()) waiting to enter the window; send() refuses beyond. */
  maxQueuedBytes: number;
  /** Items waiting to enter the window; send() refuses beyond. */
  maxQueuedItems: number;
  /**
   * Once this sequence number has been assigned, `exhausted` is true and send() refuses. Any positive u32 works, so
   * a test can reach exhaustion in a handful of datagrams.
   */
  sequenceHighWater: number;
}

export const DEFAULT_RELIABILITY_TUNING: Readonly<ReliabilityTuning> = Object.freeze({
  // 256 × 1,200 B = 300 KB in flight: at a 1 ms LAN round trip that outruns any link, yet bounds memory and bursts.
  sendWindowPackets: 256,
  // Twice the send window: a whole window still fits behind a hole while its retransmission is on the way.
  receiveWindowPackets: 512,
  // A relay fanning out 1,000 msg/s to 100 members gets ~6,000 acks/s instead of 100,000; measured in bench:relay,
  // halving the acks from every 8 datagrams cut the relay's CPU by a seventh.
  ackEveryPackets: 16,
  // Batches a burst, yet small next to minRtoMs so a lone datagram's ack never looks like a loss.
  maxAckDelayMs: 20,
  // Before any sample; a LAN answers in about a millisecond, so this only governs a loss in the first round trip.
  initialRtoMs: 300,
  // Below this, loopback jitter (GC pauses, event-loop stalls) fakes losses. The ack delay is added on top.
  minRtoMs: 100,
  // The receiver may hold its ack for maxAckDelayMs (20 ms); a few ms more of event-loop jitter on top. A probe
  // that fires early costs one duplicate datagram, which the receiver drops.
  minProbeTimeoutMs: 25,
  // Keeps probing a silent peer every 5 s until the edge's heartbeat timeout (10 s) gives up on it.
  maxRtoMs: 5_000,
  // Timestamps are whole milliseconds.
  clockGranularityMs: 1,
  // RFC 9002: tolerates reordering by up to two datagrams before declaring a loss.
  packetThreshold: 3,
  // RFC 9002: 1/8 of a round trip of slack for delay variation before declaring a loss.
  timeThreshold: 9 / 8,
  // QUIC sends two probes on a PTO: one of them probably gets through, and it is not a window-sized storm.
  rtoBurstPackets: 2,
  // Six 10 MB images plus chat: a generous bound per peer; a relay with many members may lower it.
  maxQueuedBytes: 64 * 1024 * 1024,
  // Bounds bookkeeping when items are tiny; 64 MiB of full fragments (1,156 B) is about 58,000 items.
  maxQueuedItems: 65_536,
  // Leaves 131,071 numbers: more than maxQueuedItems + a window, so everything accepted still gets one.
  sequenceHighWater: 0xfffe_0000,
});

/** The defaults with `overrides` applied, checked and frozen; throws a RangeError on a set that cannot work. */
export function resolveTuning(overrides: Partial<ReliabilityTuning> | undefined): Readonly<ReliabilityTuning> {
  const tuning = { ...DEFAULT_RELIABILITY_TUNING, ...overrides };
  validateTuning(tuning);
  return Object.freeze(tuning);
}

function validateTuning(tuning: ReliabilityTuning): void {
  const positiveIntegers: (keyof ReliabilityTuning)[] = [
    'sendWindowPackets',
    'receiveWindowPackets',
    'ackEveryPackets',
    'packetThreshold',
    'rtoBurstPackets',
    'maxQueuedItems',
    'sequenceHighWater',
  ];
  for (const key of positiveIntegers) {
    if (!Number.isInteger(tuning[key]) || tuning[key] < 1) throw new RangeError(`${key} must be a positive integer`);
  }
  const nonNegative: (keyof ReliabilityTuning)[] = ['maxAckDelayMs', 'maxQueuedBytes', 'clockGranularityMs'];
  for (const key of nonNegative) {
    if (!Number.isFinite(tuning[key]) || tuning[key] < 0) throw new RangeError(`${key} must be a finite number ≥ 0`);
  }
  const positive: (keyof ReliabilityTuning)[] = ['initialRtoMs', 'minRtoMs', 'minProbeTimeoutMs', 'maxRtoMs', 'timeThreshold'];
  for (const key of positive) {
    if (!Number.isFinite(tuning[key]) || tuning[key] <= 0) throw new RangeError(`${key} must be a finite number > 0`);
  }
  if (tuning.minRtoMs > tuning.maxRtoMs) throw new RangeError('minRtoMs must not exceed maxRtoMs');
  if (tuning.receiveWindowPackets > MAX_ADVERTISED_WINDOW) {
    throw new RangeError(`receiveWindowPackets must fit the u16 window field (≤ ${MAX_ADVERTISED_WINDOW})`);
  }
  if (tuning.sequenceHighWater > MAX_SEQUENCE) throw new RangeError('sequenceHighWater must fit in u32');
}
