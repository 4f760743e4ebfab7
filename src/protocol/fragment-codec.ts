/**
 * Message fragments on the wire: one transmission of a fragment (header, chunk and, with Flag.Numbered, the room's
 * numbers in an 8-byte trailer) encoded into a single buffer, read back from a datagram whose header codec.ts has
 * checked, and stripped of its hop fields. Every chat datagram and every copy a relay fans out passes here, so
 * nothing builds intermediate objects.
 */
import { AUTH_TAG_BYTES, HEADER_BYTES, MAGIC, PROTOCOL_VERSION, ROOM_SEQ_TRAILER_BYTES } from './constants';
import { Flag, type FragmentPacket, type Header, type MessageFragment, type MessageType } from './types';

/**
 * The fragment a datagram carries, from its checked header and the bounds of its body (`authTag`: the hop's tag,
 * when the header has Flag.Auth). The header check guarantees a Numbered body is longer than its trailer.
 */
export function decodeFragment(
  header: Header,
  type: MessageType,
  bytes: Uint8Array,
  bodyStart: number,
  bodyEnd: number,
  authTag: Uint8Array | undefined,
): FragmentPacket {
  // Spelled out, not spread: this is every chat datagram's path, and a spread copy is several times slower.
  const fragment: FragmentPacket = {
    type,
    flags: header.flags,
    memberId: header.memberId,
    seq: header.seq,
    messageId: header.messageId,
    fragmentIndex: header.fragmentIndex,
    fragmentCount: header.fragmentCount,
    chunk: bytes.subarray(bodyStart, bodyEnd),
  };
  if (header.flags & Flag.Numbered) {
    const trailer = bodyEnd - ROOM_SEQ_TRAILER_BYTES;
    const view = new DataView(bytes.buffer, bytes.byteOffset + trailer, ROOM_SEQ_TRAILER_BYTES);
    fragment.chunk = bytes.subarray(bodyStart, trailer);
    fragment.roomSeq = view.getUint32(0);
    fragment.previousSeq = view.getUint32(4);
  }
  if (authTag) fragment.authTag = authTag;
  return fragment;
}

/** The message fragment a received datagram carries, without its hop fields (seq, Auth flag, tag). */
export function fragmentOf(packet: FragmentPacket): MessageFragment {
  const fragment: MessageFragment = {
    type: packet.type,
    flags: packet.flags & ~Flag.Auth,
    memberId: packet.memberId,
    messageId: packet.messageId,
    fragmentIndex: packet.fragmentIndex,
    fragmentCount: packet.fragmentCount,
    chunk: packet.chunk,
  };
  if (packet.roomSeq !== undefined) {
    fragment.roomSeq = packet.roomSeq;
    fragment.previousSeq = packet.previousSeq ?? 0;
  }
  return fragment;
}

/**
 * One transmission of a message fragment: header (with the hop's flags, member id and sequence number) and chunk
 * in a single buffer, with room for the tag when `flags` has Flag.Auth. Runs once per datagram a relay fans out,
 * so it builds no intermediate objects, and one buffer sends faster than a gather of three.
 */
export function encodeFragment(fragment: MessageFragment, flags: number, memberId: number, seq: number): Buffer {
  const chunkLength = fragment.chunk.length;
  const bodyLength = flags & Flag.Numbered ? chunkLength + ROOM_SEQ_TRAILER_BYTES : chunkLength;
  const datagram = Buffer.allocUnsafe(HEADER_BYTES + bodyLength + (flags & Flag.Auth ? AUTH_TAG_BYTES : 0));
  datagram.writeUInt16BE(MAGIC, 0);
  datagram[2] = PROTOCOL_VERSION;
  datagram[3] = fragment.type;
  datagram[4] = flags;
  datagram[5] = 0;
  datagram.writeUInt16BE(bodyLength, 6);
  datagram.writeUInt32BE(memberId >>> 0, 8);
  datagram.writeUInt32BE(seq >>> 0, 12);
  datagram.writeBigUInt64BE(fragment.messageId, 16);
  datagram.writeUInt16BE(fragment.fragmentIndex, 24);
  datagram.writeUInt16BE(fragment.fragmentCount, 26);
  datagram.set(fragment.chunk, HEADER_BYTES);
  if (flags & Flag.Numbered) {
    datagram.writeUInt32BE((fragment.roomSeq ?? 0) >>> 0, HEADER_BYTES + chunkLength);
    datagram.writeUInt32BE((fragment.previousSeq ?? 0) >>> 0, HEADER_BYTES + chunkLength + 4);
  }
  return datagram;
}

/** Rewrites the sequence number of an encoded datagram in place (for a relay that re-sequences per hop). */
export function patchSequence(datagram: Uint8Array, seq: number): void {
  new DataView(datagram.buffer, datagram.byteOffset, HEADER_BYTES).setUint32(12, seq);
}
