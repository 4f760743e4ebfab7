/** fast-check generators of valid wire values, and the encoder that turns a generated packet into its datagram. */
import fc from 'fast-check';
import { assemble, encodeControl } from '../../src/protocol/codec';
import { AUTH_TAG_BYTES, MAX_DATAGRAM_BYTES, HEADER_BYTES, MAX_NAME_BYTES } from '../../src/protocol/constants';
import { HistoryDirection, ImageFormat, type MemberInfo, type MessagePayload } from '../../src/protocol/payload';
import {
  Flag,
  PacketType,
  PresenceCode,
  isFragmentPacket,
  type AckRange,
  type ControlPacket,
  type MessageType,
  type Packet,
} from '../../src/protocol/types';

export const MESSAGE_TYPES: readonly MessageType[] = [
  PacketType.MemberList,
  PacketType.MemberJoined,
  PacketType.MemberLeft,
  PacketType.Leave,
  PacketType.Notice,
  PacketType.HistoryRequest,
  PacketType.HistoryEnd,
  PacketType.Text,
  PacketType.Image,
  PacketType.Stored,
];

export const CONTROL_TYPES: readonly ControlPacket['type'][] = [
  PacketType.Join,
  PacketType.Challenge,
  PacketType.Welcome,
  PacketType.Heartbeat,
  PacketType.HeartbeatAck,
  PacketType.Ack,
  PacketType.Error,
];

function isWellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}

/** Text of any code points (no lone surrogates), at most `maxBytes` of UTF-8. */
export function utf8Text(maxBytes: number, maxLength = maxBytes): fc.Arbitrary<string> {
  return fc
    .string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '0', ' ', ':', 'é', 'ß', 'ع', '中', '😀', '\u0301'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength })
    .filter((text) => isWellFormed(text) && Buffer.byteLength(text, 'utf8') <= maxBytes);
}

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const nonZeroU32 = fc.integer({ min: 1, max: 0xffff_ffff });
/** `fc.record` with ordinary objects: decoders build plain objects and deepStrictEqual compares prototypes. */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const bytesOf = (length: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: length, maxLength: length });

const extensions = fc
  .uniqueArray(fc.tuple(u8, fc.uint8Array({ maxLength: 48 })), { maxLength: 4, selector: ([tag]) => tag })
  .map((entries) => new Map(entries));

/** Auth flag and its tag, or neither. */
const auth = fc.option(bytesOf(AUTH_TAG_BYTES), { nil: undefined });

function controlBase<T extends ControlPacket['type']>(type: T) {
  return record({ memberId: u32, authTag: auth }).map(({ memberId, authTag }) => ({
    type,
    flags: authTag ? Flag.Auth : 0,
    memberId,
    seq: 0,
    messageId: 0n,
    fragmentIndex: 0,
    fragmentCount: 0,
    ...(authTag ? { authTag } : {}),
  }));
}

/** Ascending, disjoint, non-adjacent ranges strictly above `cumulative + 1`, as the decoder requires. */
function ackRanges(cumulative: number): fc.Arbitrary<AckRange[]> {
  return fc
    .array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 })), { maxLength: 32 })
    .map((steps) => {
      const ranges: AckRange[] = [];
      let previous = cumulative;
      for (const [gap, length] of steps) {
        const first = previous + 2 + gap;
        const last = first + length;
        if (last > 0xffff_ffff) break;
        ranges.push({ first, last });
        previous = last;
      }
      return ranges;
    });
}

export const controlPacketArb: Record<ControlPacket['type'], fc.Arbitrary<ControlPacket>> = {
  [PacketType.Join]: fc
    .tuple(
      controlBase(PacketType.Join),
      record({
        clientNonce: bytesOf(8),
        name: utf8Text(MAX_NAME_BYTES, 12),
        room: utf8Text(32, 12),
        extensions,
      }),
    )
    .map(([base, body]) => ({ ...base, body })),
  [PacketType.Challenge]: fc
    .tuple(controlBase(PacketType.Challenge), record({ clientNonce: bytesOf(8), roomSalt: bytesOf(16), cookie: fc.uint8Array({ minLength: 1, maxLength: 64 }) }))
    .map(([base, body]) => ({ ...base, body })),
  [PacketType.Welcome]: fc
    .tuple(
      controlBase(PacketType.Welcome),
      record({
        clientNonce: bytesOf(8),
        room: utf8Text(32, 12),
        heartbeatIntervalMs: nonZeroU32,
        memberTimeoutMs: nonZeroU32,
        maxTextBytes: u32,
        maxImageBytes: u32,
        extensions,
      }),
    )
    .map(([base, body]) => ({ ...base, body })),
  [PacketType.Heartbeat]: fc.tuple(controlBase(PacketType.Heartbeat), u32).map(([base, echo]) => ({ ...base, body: { echo } })),
  [PacketType.HeartbeatAck]: fc.tuple(controlBase(PacketType.HeartbeatAck), u32).map(([base, echo]) => ({ ...base, body: { echo } })),
  [PacketType.Ack]: fc
    .tuple(controlBase(PacketType.Ack), fc.integer({ min: 0, max: 0xffff_0000 }), u16, u16)
    .chain(([base, cumulative, window, delayMs]) =>
      ackRanges(cumulative).map((ranges) => ({ ...base, body: { cumulative, window, delayMs, ranges } })),
    ),
  [PacketType.Error]: fc
    .tuple(controlBase(PacketType.Error), record({ code: u16, clientNonce: bytesOf(8), message: utf8Text(512, 60) }))
    .map(([base, body]) => ({ ...base, body })),
  [PacketType.Typing]: fc.tuple(controlBase(PacketType.Typing), u32).map(([base, memberId]) => ({ ...base, body: { memberId } })),
  [PacketType.Presence]: fc
    .tuple(controlBase(PacketType.Presence), u32, fc.constantFrom(PresenceCode.Active, PresenceCode.Away))
    .map(([base, memberId, state]) => ({ ...base, body: { memberId, state } })),
};

export const controlPacket: fc.Arbitrary<ControlPacket> = fc.oneof(...Object.values(controlPacketArb));

/** Largest chunk a fragment can carry with the tag present. */
const MAX_CHUNK = MAX_DATAGRAM_BYTES - HEADER_BYTES - AUTH_TAG_BYTES;

export const fragmentPacket: fc.Arbitrary<Packet> = fc
  .record({
    type: fc.constantFrom(...MESSAGE_TYPES),
    encrypted: fc.boolean(),
    authTag: auth,
    memberId: u32,
    seq: nonZeroU32,
    messageId: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
    fragmentCount: fc.integer({ min: 1, max: 0xffff }),
    indexSeed: fc.nat(),
    chunk: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    bigChunk: fc.boolean(),
  })
  .map(({ type, encrypted, authTag, memberId, seq, messageId, fragmentCount, indexSeed, chunk, bigChunk }) => ({
    type,
    flags: Flag.Reliable | (encrypted ? Flag.Encrypted : 0) | (authTag ? Flag.Auth : 0),
    memberId,
    seq,
    messageId,
    fragmentIndex: indexSeed % fragmentCount,
    fragmentCount,
    ...(authTag ? { authTag } : {}),
    // A full-size chunk now and then, so the datagram-size edge is fuzzed too.
    chunk: bigChunk ? new Uint8Array(MAX_CHUNK).fill(chunk[0] ?? 1) : chunk,
  }));

export const anyPacket: fc.Arbitrary<Packet> = fc.oneof(controlPacket, fragmentPacket);

/** A fragment's body: its chunk, then the Numbered trailer when it has one. */
function fragmentBody(packet: Extract<Packet, { chunk: Uint8Array }>): Uint8Array {
  if (!(packet.flags & Flag.Numbered)) return packet.chunk;
  const body = new Uint8Array(packet.chunk.length + 8);
  body.set(packet.chunk);
  const view = new DataView(body.buffer, packet.chunk.length);
  view.setUint32(0, packet.roomSeq ?? 0);
  view.setUint32(4, packet.previousSeq ?? 0);
  return body;
}

/** The datagram a peer would send for `packet`, the tag filled in. */
export function encodePacket(packet: Packet): Uint8Array {
  const bytes = isFragmentPacket(packet) ? assemble(packet, fragmentBody(packet)) : encodeControl(packet);
  if (packet.authTag) bytes.set(packet.authTag, bytes.length - AUTH_TAG_BYTES);
  return bytes;
}

export const validDatagram: fc.Arbitrary<Uint8Array> = anyPacket.map(encodePacket);

// ---- payloads

const memberInfo: fc.Arbitrary<MemberInfo> = record({
  id: nonZeroU32,
  flags: u8,
  name: utf8Text(MAX_NAME_BYTES, 10),
  signingKey: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
}).map(({ signingKey, ...rest }): MemberInfo => (signingKey ? { ...rest, signingKey } : rest));
const sentAt = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

export const payloadArb: Record<MessageType, fc.Arbitrary<MessagePayload>> = {
  [PacketType.MemberList]: fc.array(memberInfo, { maxLength: 6 }).map((members) => ({ type: PacketType.MemberList, members })),
  [PacketType.MemberJoined]: memberInfo.map((member) => ({ type: PacketType.MemberJoined, member })),
  [PacketType.MemberLeft]: fc.tuple(memberInfo, u8).map(([member, reason]) => ({ type: PacketType.MemberLeft, member, reason })),
  [PacketType.Leave]: u8.map((reason) => ({ type: PacketType.Leave, reason })),
  [PacketType.Notice]: fc.tuple(u16, utf8Text(512, 60)).map(([code, message]) => ({ type: PacketType.Notice, code, message })),
  [PacketType.Text]: fc
    .tuple(sentAt, utf8Text(MAX_NAME_BYTES, 10), utf8Text(4000, 80))
    .map(([at, sender, text]) => ({ type: PacketType.Text, sentAt: at, sender, text })),
  [PacketType.Image]: fc
    .record({
      sentAt,
      sender: utf8Text(MAX_NAME_BYTES, 10),
      width: fc.integer({ min: 1, max: 65_535 }),
      height: fc.integer({ min: 1, max: 65_535 }),
      format: fc.constantFrom(ImageFormat.Jpeg, ImageFormat.Png),
      data: fc.uint8Array({ minLength: 1, maxLength: 200 }),
    })
    .map((image) => ({ type: PacketType.Image, ...image })),
  [PacketType.HistoryRequest]: fc
    .record({ requestId: u32, direction: fc.constantFrom(HistoryDirection.Before, HistoryDirection.After), seq: u32, limit: u16 })
    .map((request) => ({ type: PacketType.HistoryRequest, ...request })),
  [PacketType.HistoryEnd]: fc
    .record({ requestId: u32, count: u32, latestSeq: u32, reachedSeq: u32, complete: fc.boolean() })
    .map((end) => ({ type: PacketType.HistoryEnd, ...end })),
  [PacketType.Stored]: fc
    .record({
      seq: nonZeroU32,
      storedAt: sentAt,
      storedType: fc.constantFrom(PacketType.Text, PacketType.Image),
      messageId: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
      from: utf8Text(MAX_NAME_BYTES, 10),
      memberKey: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
      payload: fc.uint8Array({ minLength: 1, maxLength: 300 }),
    })
    .map((stored) => ({ type: PacketType.Stored, ...stored })),
};
