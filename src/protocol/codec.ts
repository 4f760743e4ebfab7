/**
 * Datagram encoding and decoding: pure functions over bytes. `decodePacket` never throws; it returns a packet or a
 * coded error, so a socket callback can hand it anything a network produced. Here: the header and the control
 * bodies; a message fragment's body and trailer are fragment-codec.ts's (re-exported here).
 */
import { ByteReader, ByteWriter, DecodeFailure, type DecodeErrorCode } from './bytes';
import {
  AUTH_TAG_BYTES,
  HEADER_BYTES,
  MAGIC,
  MAX_DATAGRAM_BYTES,
  MAX_NAME_BYTES,
  MAX_ROOM_BYTES,
  PROTOCOL_VERSION,
  ROOM_SEQ_TRAILER_BYTES,
} from './constants';
import { decodeFragment } from './fragment-codec';
import { hasMagic } from './peek';
import {
  Flag,
  KNOWN_FLAGS,
  PacketType,
  PresenceCode,
  assertNever,
  isControlType,
  isMessageType,
  type AckBody,
  type AckRange,
  type ControlPacket,
  type Extensions,
  type Header,
  type Packet,
  type PacketType as PacketTypeValue,
} from './types';

export const CLIENT_NONCE_BYTES = 8;
/** Bytes of the room salt a Challenge carries (128 bits: no two rooms or relays share one by chance). */
export const ROOM_SALT_BYTES = 16;
/** Longest cookie a relay may hand out in a Challenge, in bytes. */
export const MAX_COOKIE_BYTES = 64;
/** Longest human-readable text in an Error datagram, in UTF-8 bytes. */
export const MAX_ERROR_TEXT_BYTES = 512;
/** Most acknowledgement ranges in one Ack; more would not fit a datagram and tell the sender little more. */
export const MAX_ACK_RANGES = 128;

export interface DecodeError {
  code: DecodeErrorCode;
  message: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

function failure<T>(code: DecodeErrorCode, message: string): Decoded<T> {
  return { ok: false, error: { code, message } };
}

/** Runs a decoder that may throw `DecodeFailure` and turns the throw into a coded error. */
export function catchDecode<T>(decode: () => T): Decoded<T> {
  try {
    return { ok: true, value: decode() };
  } catch (error) {
    if (error instanceof DecodeFailure) return failure(error.code, error.message);
    return failure('UDPCHAT_ERR_BAD_FIELD', error instanceof Error ? error.message : String(error));
  }
}

export { hasMagic, peekFlags, peekMemberId, peekType, peekVersion } from './peek';
export { encodeFragment, fragmentOf, patchSequence } from './fragment-codec';

/** Reads and checks the fixed header; returns it with the body's bounds. */
export function decodeHeader(bytes: Uint8Array): Decoded<{ header: Header; bodyStart: number; bodyEnd: number }> {
  // Every field sits at a fixed offset and the length is checked first, so nothing here can read out of bounds:
  // plain reads, no exceptions (this runs for every datagram a relay receives).
  if (bytes.length < HEADER_BYTES) {
    if (bytes.length >= 2 && !hasMagic(bytes)) return failure('UDPCHAT_ERR_BAD_MAGIC', 'not a UDP Chat datagram');
    return failure('UDPCHAT_ERR_TRUNCATED', `datagram of ${bytes.length} bytes is shorter than the header`);
  }
  if (bytes.length > MAX_DATAGRAM_BYTES) {
    return failure('UDPCHAT_ERR_TOO_LARGE', `datagram of ${bytes.length} bytes exceeds ${MAX_DATAGRAM_BYTES}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  if (view.getUint16(0) !== MAGIC) return failure('UDPCHAT_ERR_BAD_MAGIC', 'not a UDP Chat datagram');
  const version = view.getUint8(2);
  if (version !== PROTOCOL_VERSION) return failure('UDPCHAT_ERR_UNSUPPORTED_VERSION', `protocol version ${version} is not supported`);
  const type = view.getUint8(3);
  const message = isMessageType(type);
  if (!message && !isControlType(type)) return failure('UDPCHAT_ERR_UNKNOWN_TYPE', `unknown datagram type 0x${type.toString(16)}`);
  const flags = view.getUint8(4);
  if ((flags & ~KNOWN_FLAGS) !== 0) return failure('UDPCHAT_ERR_BAD_FLAGS', `unknown flags 0x${flags.toString(16)}`);
  if (view.getUint8(5) !== 0) return failure('UDPCHAT_ERR_BAD_FLAGS', 'reserved byte is not zero');
  const bodyLength = view.getUint16(6);
  const memberId = view.getUint32(8);
  const seq = view.getUint32(12);
  const messageId = view.getBigUint64(16);
  const fragmentIndex = view.getUint16(24);
  const fragmentCount = view.getUint16(26);
  const tagBytes = flags & Flag.Auth ? AUTH_TAG_BYTES : 0;
  if (HEADER_BYTES + bodyLength + tagBytes !== bytes.length) {
    return failure(
      'UDPCHAT_ERR_BAD_LENGTH',
      `header says ${bodyLength} body bytes${tagBytes ? ' and a tag' : ''}, datagram has ${bytes.length - HEADER_BYTES}`,
    );
  }
  const reliable = (flags & Flag.Reliable) !== 0;
  if (flags & Flag.Numbered && (!message || bodyLength <= ROOM_SEQ_TRAILER_BYTES || fragmentIndex !== fragmentCount - 1)) {
    return failure('UDPCHAT_ERR_BAD_FLAGS', 'only the last fragment of a message carries its number');
  }
  if (message) {
    if (fragmentCount === 0 || fragmentIndex >= fragmentCount) {
      return failure('UDPCHAT_ERR_BAD_FRAGMENT', `fragment ${fragmentIndex} of ${fragmentCount}`);
    }
    if (bodyLength === 0) return failure('UDPCHAT_ERR_BAD_FRAGMENT', 'empty fragment');
    if (!reliable || seq === 0) return failure('UDPCHAT_ERR_BAD_FLAGS', 'a message must be sequenced');
  } else {
    if (fragmentIndex !== 0 || fragmentCount !== 0 || messageId !== 0n) {
      return failure('UDPCHAT_ERR_BAD_FRAGMENT', 'control datagrams carry no message or fragment');
    }
    if (reliable || seq !== 0) return failure('UDPCHAT_ERR_BAD_FLAGS', 'control datagrams are not sequenced');
    if (flags & Flag.Encrypted) return failure('UDPCHAT_ERR_BAD_FLAGS', 'control datagrams are not sealed');
  }
  const header: Header = { type: type as PacketTypeValue, flags, memberId, seq, messageId, fragmentIndex, fragmentCount };
  return { ok: true, value: { header, bodyStart: HEADER_BYTES, bodyEnd: HEADER_BYTES + bodyLength } };
}

/** Decodes one datagram. Never throws. */
export function decodePacket(bytes: Uint8Array): Decoded<Packet> {
  const head = decodeHeader(bytes);
  if (!head.ok) return head;
  const { header, bodyStart, bodyEnd } = head.value;
  const authTag = header.flags & Flag.Auth ? bytes.subarray(bodyEnd, bodyEnd + AUTH_TAG_BYTES) : undefined;
  const type = header.type;
  if (isMessageType(type)) return { ok: true, value: decodeFragment(header, type, bytes, bodyStart, bodyEnd, authTag) };
  return catchDecode((): Packet => {
    const packet = decodeControlBody(header, new ByteReader(bytes, bodyStart, bodyEnd));
    if (authTag) packet.authTag = authTag;
    return packet;
  });
}

/** A control packet from its header and body (fields spelled out: no spread on the per-datagram path). */
function controlPacket<T extends ControlPacket['type']>(header: Header, type: T, body: Extract<ControlPacket, { type: T }>['body']): ControlPacket {
  return {
    type,
    flags: header.flags,
    memberId: header.memberId,
    seq: header.seq,
    messageId: header.messageId,
    fragmentIndex: header.fragmentIndex,
    fragmentCount: header.fragmentCount,
    body,
  } as ControlPacket;
}

function decodeControlBody(header: Header, reader: ByteReader): ControlPacket {
  const type = header.type;
  switch (type) {
    case PacketType.Join: {
      const clientNonce = reader.bytes(CLIENT_NONCE_BYTES, 'client nonce');
      const name = reader.str8(MAX_NAME_BYTES, 'name');
      const room = reader.str8(MAX_ROOM_BYTES, 'room');
      const extensions = readExtensions(reader);
      return controlPacket(header, type, { clientNonce, name, room, extensions });
    }
    case PacketType.Challenge: {
      const clientNonce = reader.bytes(CLIENT_NONCE_BYTES, 'client nonce');
      const roomSalt = reader.bytes(ROOM_SALT_BYTES, 'room salt');
      const cookieLength = reader.u8('cookie length');
      if (cookieLength === 0 || cookieLength > MAX_COOKIE_BYTES) {
        throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `cookie of ${cookieLength} bytes`);
      }
      const cookie = reader.bytes(cookieLength, 'cookie');
      reader.end('challenge');
      return controlPacket(header, type, { clientNonce, roomSalt, cookie });
    }
    case PacketType.Welcome: {
      const clientNonce = reader.bytes(CLIENT_NONCE_BYTES, 'client nonce');
      const room = reader.str8(MAX_ROOM_BYTES, 'room');
      const heartbeatIntervalMs = reader.u32('heartbeat interval');
      const memberTimeoutMs = reader.u32('member timeout');
      const maxTextBytes = reader.u32('max text bytes');
      const maxImageBytes = reader.u32('max image bytes');
      if (heartbeatIntervalMs === 0 || memberTimeoutMs === 0) {
        throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', 'zero heartbeat interval or timeout');
      }
      const extensions = readExtensions(reader);
      const body = { clientNonce, room, heartbeatIntervalMs, memberTimeoutMs, maxTextBytes, maxImageBytes, extensions };
      return controlPacket(header, type, body);
    }
    case PacketType.Heartbeat:
    case PacketType.HeartbeatAck: {
      const echo = reader.u32('echo');
      reader.end('heartbeat');
      return controlPacket(header, type, { echo });
    }
    case PacketType.Ack: {
      const body = readAck(reader);
      return controlPacket(header, type, body);
    }
    case PacketType.Error: {
      const code = reader.u16('error code');
      const clientNonce = reader.bytes(CLIENT_NONCE_BYTES, 'client nonce');
      const message = reader.str16(MAX_ERROR_TEXT_BYTES, 'error message');
      reader.end('error');
      return controlPacket(header, type, { code, clientNonce, message });
    }
    case PacketType.Typing: {
      const memberId = reader.u32('typing member id');
      reader.end('typing');
      return controlPacket(header, type, { memberId });
    }
    case PacketType.Presence: {
      const memberId = reader.u32('presence member id');
      const state = reader.u8('presence state');
      if (state !== PresenceCode.Active && state !== PresenceCode.Away) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `presence state ${state}`);
      reader.end('presence');
      return controlPacket(header, type, { memberId, state });
    }
    case PacketType.MemberList:
    case PacketType.MemberJoined:
    case PacketType.MemberLeft:
    case PacketType.Leave:
    case PacketType.Notice:
    case PacketType.HistoryRequest:
    case PacketType.HistoryEnd:
    case PacketType.Text:
    case PacketType.Image:
    case PacketType.Stored:
      throw new DecodeFailure('UDPCHAT_ERR_UNKNOWN_TYPE', 'message types have no control body');
    default:
      return assertNever(type, 'packet type');
  }
}

function readAck(reader: ByteReader): AckBody {
  const cumulative = reader.u32('cumulative ack');
  const window = reader.u16('window');
  const delayMs = reader.u16('ack delay');
  const rangeCount = reader.u8('range count');
  if (rangeCount > MAX_ACK_RANGES) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `${rangeCount} ack ranges`);
  const ranges: AckRange[] = [];
  let previousLast = cumulative;
  for (let i = 0; i < rangeCount; i++) {
    const first = reader.u32('range first');
    const last = reader.u32('range last');
    // Ranges must be ascending, disjoint, non-adjacent and strictly above the cumulative point.
    if (first <= previousLast + 1 || last < first) {
      throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `ack range ${first}-${last} out of order`);
    }
    ranges.push({ first, last });
    previousLast = last;
  }
  reader.end('ack');
  return { cumulative, window, delayMs, ranges };
}

function readExtensions(reader: ByteReader): Extensions {
  const extensions = new Map<number, Uint8Array>();
  while (reader.remaining > 0) {
    const tag = reader.u8('extension tag');
    const length = reader.u16('extension length');
    const value = reader.bytes(length, 'extension value');
    if (extensions.has(tag)) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `extension ${tag} repeated`);
    extensions.set(tag, value);
  }
  return extensions;
}

function writeExtensions(writer: ByteWriter, extensions: Extensions): void {
  for (const [tag, value] of extensions) writer.u8(tag).u16(value.length).bytes(value);
}

/** Writes the 28-byte header at `offset` of `target`. */
function writeHeader(target: Uint8Array, offset: number, header: Header, bodyLength: number): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, HEADER_BYTES);
  view.setUint16(0, MAGIC);
  view.setUint8(2, PROTOCOL_VERSION);
  view.setUint8(3, header.type);
  view.setUint8(4, header.flags);
  view.setUint8(5, 0);
  view.setUint16(6, bodyLength);
  view.setUint32(8, header.memberId);
  view.setUint32(12, header.seq);
  view.setBigUint64(16, header.messageId);
  view.setUint16(24, header.fragmentIndex);
  view.setUint16(26, header.fragmentCount);
}

/**
 * Encodes header and body. With `Flag.Auth` set, the last AUTH_TAG_BYTES are left zero for the caller to fill
 * with the tag computed over everything before them.
 */
export function assemble(header: Header, body: Uint8Array): Uint8Array {
  const tagBytes = header.flags & Flag.Auth ? AUTH_TAG_BYTES : 0;
  const total = HEADER_BYTES + body.length + tagBytes;
  if (total > MAX_DATAGRAM_BYTES) throw new RangeError(`datagram of ${total} bytes exceeds ${MAX_DATAGRAM_BYTES}`);
  const out = new Uint8Array(total);
  writeHeader(out, 0, header, body.length);
  out.set(body, HEADER_BYTES);
  return out;
}

function encodeControlBody(packet: ControlPacket): Uint8Array {
  const writer = new ByteWriter(128);
  switch (packet.type) {
    case PacketType.Join: {
      const { body } = packet;
      writer.bytes(body.clientNonce).str8(body.name).str8(body.room);
      writeExtensions(writer, body.extensions);
      break;
    }
    case PacketType.Challenge: {
      const { body } = packet;
      if (body.roomSalt.length !== ROOM_SALT_BYTES) throw new RangeError(`a room salt is ${ROOM_SALT_BYTES} bytes, not ${body.roomSalt.length}`);
      writer.bytes(body.clientNonce).bytes(body.roomSalt).u8(body.cookie.length).bytes(body.cookie);
      break;
    }
    case PacketType.Welcome: {
      const { body } = packet;
      writer.bytes(body.clientNonce).str8(body.room);
      writer.u32(body.heartbeatIntervalMs).u32(body.memberTimeoutMs).u32(body.maxTextBytes).u32(body.maxImageBytes);
      writeExtensions(writer, body.extensions);
      break;
    }
    case PacketType.Heartbeat:
    case PacketType.HeartbeatAck: {
      const { body } = packet;
      writer.u32(body.echo >>> 0);
      break;
    }
    case PacketType.Ack: {
      const { body } = packet;
      const ranges = body.ranges.slice(0, MAX_ACK_RANGES);
      writer.u32(body.cumulative).u16(Math.min(body.window, 0xffff)).u16(Math.min(Math.round(body.delayMs), 0xffff));
      writer.u8(ranges.length);
      for (const range of ranges) writer.u32(range.first).u32(range.last);
      break;
    }
    case PacketType.Error: {
      const { body } = packet;
      writer.u16(body.code).bytes(body.clientNonce).str16(truncateUtf8(body.message, MAX_ERROR_TEXT_BYTES));
      break;
    }
    case PacketType.Typing:
      writer.u32(packet.body.memberId);
      break;
    case PacketType.Presence:
      writer.u32(packet.body.memberId).u8(packet.body.state);
      break;
    default:
      return assertNever(packet, 'control packet');
  }
  return writer.finish();
}

/** The header fields of a control datagram of `type` (no sequence, no message, no fragment). */
export function controlHeader<T extends ControlPacket['type']>(type: T, memberId: number) {
  return { type, flags: 0, memberId, seq: 0, messageId: 0n, fragmentIndex: 0, fragmentCount: 0 } as const;
}

/** Encodes a control datagram (never sequenced, never fragmented). */
export function encodeControl(packet: ControlPacket): Uint8Array {
  const header: Header = {
    type: packet.type,
    flags: packet.flags & Flag.Auth,
    memberId: packet.memberId,
    seq: 0,
    messageId: 0n,
    fragmentIndex: 0,
    fragmentCount: 0,
  };
  return assemble(header, encodeControlBody(packet));
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const encoded = new TextEncoder().encode(text);
  if (encoded.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end--;
  // ignoreBOM: a leading U+FEFF is part of the text, not a marker to strip.
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(encoded.subarray(0, end));
}
