/** What a channel reports of itself: round-trip estimates and counters of both halves. */
export interface ChannelStats {
  /** Smoothed round-trip time (ms); undefined until the first sample. */
  srttMs: number | undefined;
  /** The path's round trip without the peer's ack delay (ms, smoothed), for display; undefined until a sample. */
  pathRttMs: number | undefined;
  /** RTTVAR of RFC 6298 (ms); undefined until the first sample. */
  rttVarianceMs: number | undefined;
  /** Retransmission timeout (ms) before backoff. */
  rtoMs: number;
  /** Consecutive retransmission timeouts without progress: the timer runs for rtoMs × 2^this (capped). */
  backoff: number;
  /** Data transmissions, retransmissions included. */
  sent: number;
  retransmitted: number;
  /** retransmitted / sent × 100 (0 before anything was sent). */
  lossPercent: number;
  /** Retransmission timer expiries. */
  timeouts: number;
  inFlight: number;
  /** Datagrams the peer acknowledged selectively but has not delivered yet (its cumulative point is below them). */
  selectivelyAcked: number;
  queued: number;
  queuedBytes: number;
  /** The window the peer last advertised. */
  peerWindow: number;
  delivered: number;
  /** Out-of-order datagrams held by the receiver. */
  buffered: number;
  duplicatesDropped: number;
  /** Datagrams beyond the receive window, dropped without acknowledgement. */
  outOfWindowDropped: number;
  acksSent: number;
  acksReceived: number;
  /** Acks that claimed sequence numbers never sent, or were malformed, and were ignored whole. */
  acksIgnored: number;
}
