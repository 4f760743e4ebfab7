/** A ReliableChannel whose callbacks only record what it did, and the ack helpers its unit tests share. */
import assert from 'node:assert/strict';
import { MAX_ACK_RANGES, controlHeader, decodePacket, encodeControl } from '../../src/protocol/codec';
import { ReliableChannel, type Priority, type ReliabilityTuning } from '../../src/protocol/reliability';
import { PacketType, type AckBody } from '../../src/protocol/types';

export interface Transmission {
  seq: number;
  item: string;
  retransmission: boolean;
}

/** A channel whose callbacks only record what it did. Time is whatever the test passes in. */
export function recordingChannel(tuning: Partial<ReliabilityTuning> = {}, now = 0) {
  const transmissions: Transmission[] = [];
  const acks: AckBody[] = [];
  const delivered: string[] = [];
  const acknowledged: number[] = [];
  const channel = new ReliableChannel<string>(
    {
      transmit: (seq, item, retransmission) => transmissions.push({ seq, item, retransmission }),
      transmitAck: (ack) => acks.push(ack),
      deliver: (item) => delivered.push(item),
      acknowledged: (ticket) => acknowledged.push(ticket),
      tuning,
    },
    now,
  );
  const retransmittedSeqs = () => transmissions.filter((t) => t.retransmission).map((t) => t.seq);
  const newSeqs = () => transmissions.filter((t) => !t.retransmission).map((t) => t.seq);
  return { channel, transmissions, acks, delivered, acknowledged, retransmittedSeqs, newSeqs };
}

/** An ack as a receiver would send it; ranges as [first, last] pairs. */
export function ackOf(cumulative: number, ranges: [number, number][] = [], window = 512, delayMs = 0): AckBody {
  return { cumulative, window, delayMs, ranges: ranges.map(([first, last]) => ({ first, last })) };
}

/** Sends `count` items of 100 bytes named `${priority}-${index}`; returns their tickets. */
export function sendMany(channel: ReliableChannel<string>, count: number, now: number, priority: Priority = 'normal') {
  const tickets: (number | undefined)[] = [];
  for (let index = 0; index < count; index++) tickets.push(channel.send(`${priority}-${index}`, 100, priority, now));
  return tickets;
}

/** Ranges ascend, lie apart from each other and above the cumulative point, and are at most MAX_ACK_RANGES. */
export function assertValidRanges(ack: AckBody): void {
  assert.ok(ack.ranges.length <= MAX_ACK_RANGES, `${ack.ranges.length} ranges`);
  let previousLast = ack.cumulative;
  for (const range of ack.ranges) {
    assert.ok(range.first > previousLast + 1, `range ${range.first}-${range.last} after ${previousLast}`);
    assert.ok(range.last >= range.first, `range ${range.first}-${range.last} runs backwards`);
    previousLast = range.last;
  }
}

/** The ack as the peer reads it after encodeControl and decodePacket. */
export function wireRoundTrip(body: AckBody): AckBody {
  const bytes = encodeControl({ ...controlHeader(PacketType.Ack, 0), body });
  const decoded = decodePacket(bytes);
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
  assert.equal(decoded.value.type, PacketType.Ack);
  return (decoded.value as { body: AckBody }).body;
}
