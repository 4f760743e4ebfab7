/**
 * Message payloads: what a message's fragments add up to once reassembled (and, for sealed messages, opened).
 * Pure; `decodePayload` never throws.
 */
import { ByteReader, ByteWriter, DecodeFailure, decodeUtf8 } from './bytes';
import { catchDecode, MAX_ERROR_TEXT_BYTES, truncateUtf8, type Decoded } from './codec';
import { MAX_NAME_BYTES } from './constants';
import { MEMBER_KEY_BYTES } from './room-crypto';
import { readKindText, TEXT_KIND_MARK, writeKindText, type TextKind } from './text-kinds';
import { PacketType, assertNever, type MessageType } from './types';

export interface MemberInfo {
  id: number;
  name: string;
  /** MemberFlag bits. */
  flags: number;
  /** Sealed rooms: the member key its join proved (it signs the member's messages); absent in open rooms. */
  signingKey?: Uint8Array;
}

export const ImageFormat = {
  Jpeg: 1,
  Png: 2,
} as const;
export type ImageFormat = (typeof ImageFormat)[keyof typeof ImageFormat];

/**
 * Bytes a text or image payload carries besides the text or image itself: timestamp (8), sender (1 + 32), image
 * dimensions and format (9), and a sealed payload's nonce, tag and signature (92), rounded up. Size limits allow
 * for it.
 */
export const PAYLOAD_OVERHEAD_BYTES = 192;

/** Which side of its `seq` a HistoryRequest asks for. */
export const HistoryDirection = {
  /** The newest `limit` messages numbered below `seq` (scrolling up). */
  Before: 1,
  /** The oldest `limit` messages numbered above `seq` (catching up). */
  After: 2,
} as const;
export type HistoryDirection = (typeof HistoryDirection)[keyof typeof HistoryDirection];

/** Stored bytes besides the original payload: seq (4), stored at (8), type (1), id (8), sender (1 + 32), key (1 + 32). */
export const STORED_OVERHEAD_BYTES = 4 + 8 + 1 + 8 + 1 + MAX_NAME_BYTES + 1 + MEMBER_KEY_BYTES;

/** Largest member list a payload may carry; far above any room limit, it only bounds decoding work. */
export const MAX_MEMBER_LIST = 4096;
/** Largest image side a payload may declare, in pixels (what a JPEG can encode). */
export const MAX_IMAGE_SIDE = 65_535;

export type MessagePayload =
  | { type: typeof PacketType.MemberList; members: MemberInfo[] }
  | { type: typeof PacketType.MemberJoined; member: MemberInfo }
  | { type: typeof PacketType.MemberLeft; member: MemberInfo; reason: number }
  | { type: typeof PacketType.Leave; reason: number }
  | { type: typeof PacketType.Notice; code: number; message: string }
  | {
      type: typeof PacketType.Text;
      sentAt: number;
      sender: string;
      /** The text; a reply's or an edit's, empty for the other kinds. */
      text: string;
      /** A reply, reaction, edit or delete (text-kinds.ts); absent for a plain text. */
      kind?: TextKind;
    }
  | {
      type: typeof PacketType.Image;
      sentAt: number;
      sender: string;
      width: number;
      height: number;
      format: ImageFormat;
      data: Uint8Array;
    }
  | { type: typeof PacketType.HistoryRequest; requestId: number; direction: HistoryDirection; seq: number; limit: number }
  | {
      type: typeof PacketType.HistoryEnd;
      requestId: number;
      /** Stored messages the page carried. */
      count: number;
      /** The room's latest number when the page was read. */
      latestSeq: number;
      /** After: the page holds every stored message numbered above the request's seq up to this; Before: down to this (0: none). */
      reachedSeq: number;
      complete: boolean;
    }
  | {
      type: typeof PacketType.Stored;
      seq: number;
      /** The relay's clock when it stored the message (ms since the epoch). */
      storedAt: number;
      /** The original message: its type (Text or Image), id, sender as the relay knew it, and payload as received. */
      storedType: typeof PacketType.Text | typeof PacketType.Image;
      messageId: bigint;
      from: string;
      memberKey: Uint8Array | undefined;
      payload: Uint8Array;
    };

export type PayloadOf<T extends MessageType> = Extract<MessagePayload, { type: T }>;

/** id (4) ‖ flags (1) ‖ name (str8) ‖ member key length (1: 0 or 32) ‖ member key. */
function writeMember(writer: ByteWriter, member: MemberInfo): void {
  const key = member.signingKey ?? new Uint8Array(0);
  writer.u32(member.id).u8(member.flags).str8(member.name).u8(key.length).bytes(key);
}

function readMember(reader: ByteReader): MemberInfo {
  const id = reader.u32('member id');
  const flags = reader.u8('member flags');
  const name = reader.str8(MAX_NAME_BYTES, 'member name');
  const keyLength = reader.u8('member key length');
  if (id === 0) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', 'member id 0');
  if (keyLength !== 0 && keyLength !== MEMBER_KEY_BYTES) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `member key of ${keyLength} bytes`);
  if (keyLength === 0) return { id, flags, name };
  return { id, flags, name, signingKey: new Uint8Array(reader.bytes(keyLength, 'member key')) };
}

export function encodePayload(payload: MessagePayload): Uint8Array {
  const writer = new ByteWriter(payload.type === PacketType.Image ? payload.data.length + 64 : payload.type === PacketType.Stored ? payload.payload.length + 128 : 128);
  switch (payload.type) {
    case PacketType.MemberList:
      writer.u16(payload.members.length);
      for (const member of payload.members) writeMember(writer, member);
      break;
    case PacketType.MemberJoined:
      writeMember(writer, payload.member);
      break;
    case PacketType.MemberLeft:
      writeMember(writer, payload.member);
      writer.u8(payload.reason);
      break;
    case PacketType.Leave:
      writer.u8(payload.reason);
      break;
    case PacketType.Notice:
      // Cut like an Error's text: receivers refuse notices longer than MAX_ERROR_TEXT_BYTES.
      writer.u16(payload.code).str16(truncateUtf8(payload.message, MAX_ERROR_TEXT_BYTES));
      break;
    case PacketType.Text:
      if (payload.kind) writeKindText(writer, payload.sentAt, payload.sender, payload.kind, payload.text);
      else writer.timestamp(payload.sentAt).str8(payload.sender).bytes(new TextEncoder().encode(payload.text));
      break;
    case PacketType.Image:
      writer.timestamp(payload.sentAt).str8(payload.sender);
      writer.u32(payload.width).u32(payload.height).u8(payload.format).bytes(payload.data);
      break;
    case PacketType.HistoryRequest:
      writer.u32(payload.requestId).u8(payload.direction).u32(payload.seq).u16(payload.limit);
      break;
    case PacketType.HistoryEnd:
      writer.u32(payload.requestId).u32(payload.count).u32(payload.latestSeq).u32(payload.reachedSeq).u8(payload.complete ? 1 : 0);
      break;
    case PacketType.Stored: {
      const key = payload.memberKey ?? new Uint8Array(0);
      writer.u32(payload.seq).timestamp(payload.storedAt).u8(payload.storedType).u64(payload.messageId);
      writer.str8(payload.from).u8(key.length).bytes(key).bytes(payload.payload);
      break;
    }
    default:
      return assertNever(payload, 'payload');
  }
  return writer.finish();
}

/** Decodes a reassembled (and opened) payload of the given message type. Never throws. */
export function decodePayload(type: MessageType, bytes: Uint8Array): Decoded<MessagePayload> {
  return catchDecode((): MessagePayload => {
    const reader = new ByteReader(bytes);
    switch (type) {
      case PacketType.MemberList: {
        const count = reader.u16('member count');
        if (count > MAX_MEMBER_LIST) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `${count} members`);
        const members: MemberInfo[] = [];
        for (let i = 0; i < count; i++) members.push(readMember(reader));
        reader.end('member list');
        return { type, members };
      }
      case PacketType.MemberJoined: {
        const member = readMember(reader);
        reader.end('member joined');
        return { type, member };
      }
      case PacketType.MemberLeft: {
        const member = readMember(reader);
        const reason = reader.u8('leave reason');
        reader.end('member left');
        return { type, member, reason };
      }
      case PacketType.Leave: {
        const reason = reader.u8('leave reason');
        reader.end('leave');
        return { type, reason };
      }
      case PacketType.Notice: {
        const code = reader.u16('notice code');
        const message = reader.str16(MAX_ERROR_TEXT_BYTES, 'notice text');
        reader.end('notice');
        return { type, code, message };
      }
      case PacketType.Text: {
        const sentAt = reader.timestamp('sent at');
        const senderLength = reader.u8('sender length');
        if (senderLength === TEXT_KIND_MARK) {
          const { sender, kind, text } = readKindText(reader);
          return { type, sentAt, sender, text, kind };
        }
        if (senderLength > MAX_NAME_BYTES) throw new DecodeFailure('UDPCHAT_ERR_BAD_STRING', `sender longer than ${MAX_NAME_BYTES} bytes`);
        const sender = decodeUtf8(reader.bytes(senderLength, 'sender'), 'sender');
        const text = decodeUtf8(reader.rest(), 'text');
        return { type, sentAt, sender, text };
      }
      case PacketType.Image: {
        const sentAt = reader.timestamp('sent at');
        const sender = reader.str8(MAX_NAME_BYTES, 'sender');
        const width = reader.u32('width');
        const height = reader.u32('height');
        const format = reader.u8('format');
        if (width === 0 || height === 0 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
          throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `image of ${width}x${height}`);
        }
        if (format !== ImageFormat.Jpeg && format !== ImageFormat.Png) {
          throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `image format ${format}`);
        }
        const data = reader.rest();
        if (data.length === 0) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', 'empty image');
        return { type, sentAt, sender, width, height, format, data };
      }
      case PacketType.HistoryRequest: {
        const requestId = reader.u32('request id');
        const direction = reader.u8('direction');
        const seq = reader.u32('seq');
        const limit = reader.u16('limit');
        reader.end('history request');
        if (direction !== HistoryDirection.Before && direction !== HistoryDirection.After) {
          throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `history direction ${direction}`);
        }
        return { type, requestId, direction, seq, limit };
      }
      case PacketType.HistoryEnd: {
        const requestId = reader.u32('request id');
        const count = reader.u32('count');
        const latestSeq = reader.u32('latest seq');
        const reachedSeq = reader.u32('reached seq');
        const complete = reader.u8('complete');
        reader.end('history end');
        if (complete > 1) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `history complete ${complete}`);
        return { type, requestId, count, latestSeq, reachedSeq, complete: complete === 1 };
      }
      case PacketType.Stored: {
        const seq = reader.u32('seq');
        const storedAt = reader.timestamp('stored at');
        const storedType = reader.u8('stored type');
        const messageId = reader.u64('message id');
        const from = reader.str8(MAX_NAME_BYTES, 'stored sender');
        const keyLength = reader.u8('member key length');
        if (seq === 0) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', 'stored seq 0');
        if (storedType !== PacketType.Text && storedType !== PacketType.Image) {
          throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `stored type ${storedType}`);
        }
        if (keyLength !== 0 && keyLength !== MEMBER_KEY_BYTES) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', `member key of ${keyLength} bytes`);
        const memberKey = keyLength === 0 ? undefined : new Uint8Array(reader.bytes(keyLength, 'member key'));
        const payload = reader.rest();
        if (payload.length === 0) throw new DecodeFailure('UDPCHAT_ERR_BAD_FIELD', 'empty stored payload');
        return { type, seq, storedAt, storedType, messageId, from, memberKey, payload };
      }
      default:
        return assertNever(type, 'message type');
    }
  });
}
