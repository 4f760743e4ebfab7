/**
 * Reading one header field of a datagram without decoding it: what the relay needs before it knows whose
 * datagram it is (the session a tag must verify against, whether it is a join). Pure; none of these throws, and
 * each returns undefined for input that does not start with a whole header of this protocol.
 */
import { HEADER_BYTES, MAGIC } from './constants';
import { isControlType, isMessageType, type PacketType } from './types';

/** Byte offsets of the header fields read here (docs/protocol.md, "Header"). */
const VERSION_OFFSET = 2;
const TYPE_OFFSET = 3;
const FLAGS_OFFSET = 4;
const MEMBER_ID_OFFSET = 8;

/** True when the bytes start like a datagram of this protocol (any version). */
export function hasMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === MAGIC >> 8 && bytes[1] === (MAGIC & 0xff);
}

/** The version byte of a datagram with our magic, or undefined. Lets a relay answer old or new clients. */
export function peekVersion(bytes: Uint8Array): number | undefined {
  return hasMagic(bytes) && bytes.length > VERSION_OFFSET ? bytes[VERSION_OFFSET] : undefined;
}

function wholeHeader(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_BYTES && hasMagic(bytes);
}

/** The datagram's type when it is one this version knows, else undefined. */
export function peekType(bytes: Uint8Array): PacketType | undefined {
  if (!wholeHeader(bytes)) return undefined;
  const type = bytes[TYPE_OFFSET] as number;
  return isControlType(type) || isMessageType(type) ? type : undefined;
}

/** The flag bits of the header, or undefined. */
export function peekFlags(bytes: Uint8Array): number | undefined {
  return wholeHeader(bytes) ? bytes[FLAGS_OFFSET] : undefined;
}

/** The header's member id (u32, big-endian; 0 means none), or undefined. */
export function peekMemberId(bytes: Uint8Array): number | undefined {
  if (!wholeHeader(bytes)) return undefined;
  const at = MEMBER_ID_OFFSET;
  return (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number)) >>> 0;
}
