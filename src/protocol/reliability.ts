/**
 * A per-hop reliable, ordered channel: the ARQ core of UDP Chat, in the style of KCP and quic-go's ackhandler.
 * One instance per peer on each side; it never looks inside the items it carries. It owns no socket and no timer:
 * datagrams come in through `receiveData`/`receiveAck`, go out through the `transmit`/`transmitAck` callbacks, time
 * is always an argument (ms, never decreasing), and `nextWakeup()` says when `poll()` must run next.
 *
 * The parts, one idea each, in src/protocol/reliability/:
 * - `tuning.ts`: every constant with its unit and reason, and the checks a tuning must pass;
 * - `send-queue.ts`: three FIFO queues (urgent, normal, bulk); an item gets its sequence number only when it enters
 *   the send window, so a text never waits behind a 10 MB image;
 * - `send-window.ts`: the datagrams in flight, by sequence number;
 * - `rtt-estimator.ts`: RFC 6298 smoothing with the peer's ack delay removed (RFC 9002 §5.3), the retransmission
 *   and probe timeouts;
 * - `retransmission-timer.ts`: the one timer, with exponential backoff; when the tail is lost it resends the oldest
 *   datagram and the newest (whose ack shows every hole below it; a lone one goes twice), and it probes a peer that
 *   advertises a zero window;
 * - `loss-detection.ts`: RFC 9002 §6.1 by packet and time threshold; only lost datagrams are resent;
 * - `sender.ts` and `receiver.ts`: the two halves; `channel.ts` joins them; `stats.ts` is what it reports.
 *
 * Sequence numbers never wrap: once `exhausted` is true the edge must start a new session and re-send
 * `unacknowledged()` on it. Callbacks run synchronously and may call `send()`; a `deliver` that throws still lets
 * the rest of its batch be delivered (see `deliveryFailed`). The other callbacks must not throw.
 */
export { ReliableChannel, type ReliableChannelOptions } from './reliability/channel';
export type { ReceiverCallbacks } from './reliability/receiver';
export type { Priority } from './reliability/send-queue';
export type { SenderCallbacks, UnacknowledgedItem } from './reliability/sender';
export type { ChannelStats } from './reliability/stats';
export { DEFAULT_RELIABILITY_TUNING, MAX_SEQUENCE, type ReliabilityTuning } from './reliability/tuning';
