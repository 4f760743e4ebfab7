/**
 * Speaking across one version step: a relay telling a client of the previous version to upgrade, and a client
 * reading an older relay's refusal. The header and the Error body are the same in versions 2 and 3, so an Error
 * written with the other version byte is exactly what that version's peer reads. Pure.
 */
import { CLIENT_NONCE_BYTES, controlHeader, decodePacket, encodeControl } from './codec';
import { HEADER_BYTES, PREVIOUS_PROTOCOL_VERSION, PROTOCOL_VERSION } from './constants';
import { peekVersion } from './peek';
import { ErrorCode, PacketType, type ErrorBody } from './types';

/** Byte offset of the version in the header (docs/protocol.md, "Header"). */
const VERSION_OFFSET = 2;
/** Byte offset of the type in the header. */
const TYPE_OFFSET = 3;
/** Bytes of an Error around its message: header, code (u16), client nonce, message length (u16). */
const ERROR_OVERHEAD_BYTES = HEADER_BYTES + 2 + CLIENT_NONCE_BYTES + 2;

/** What the relay tells a client of the previous version, longest first: the first that fits the Join is sent. */
export const UPGRADE_CLIENT_MESSAGES: readonly string[] = [
  `this relay needs UDP Chat with wire version ${PROTOCOL_VERSION}: upgrade the client`,
  // 37 bytes: fits a Join with the default room (81 bytes or more, so 41 bytes of message).
  `upgrade UDP Chat: relay needs wire v${PROTOCOL_VERSION}`,
  // 32 bytes: fits the smallest Join of version 2 (one-letter name and room, the hop key: 75 bytes, so 35).
  `upgrade UDP Chat: relay needs v${PROTOCOL_VERSION}`,
];

/** What the relay tells a client of a newer version (60 bytes, as version 2 wrote it with its own number). */
export const UPGRADE_RELAY_MESSAGE = `this relay speaks UDP Chat wire version ${PROTOCOL_VERSION}: upgrade the relay`;

/**
 * The smallest Join a client sends (bytes; smaller ones are padded, ExtensionTag.Padding): an older relay answers
 * a newer version only within the size of what it received, and its "upgrade the relay" Error (UPGRADE_RELAY_MESSAGE
 * of that version, 60 bytes of text) takes this much.
 */
export const MIN_JOIN_BYTES = ERROR_OVERHEAD_BYTES + new TextEncoder().encode(UPGRADE_RELAY_MESSAGE).length;

/**
 * The answer to a datagram of another version, never larger than it (an unproven source must not gain bytes):
 * - a Join of the previous version: an Error in that version, echoing the Join's client nonce, so the old client
 *   takes it as the answer to its join and stops with the message; its other datagrams get nothing (the client
 *   falls silent-timed-out and joins again, and that Join is answered);
 * - a newer version: an Error in this version (its header and Error body are what a newer peer reads as ours);
 * - anything else: undefined.
 */
export function otherVersionReply(datagram: Uint8Array): Uint8Array | undefined {
  const version = peekVersion(datagram);
  if (version === undefined || version === PROTOCOL_VERSION) return undefined;
  const budget = datagram.length - ERROR_OVERHEAD_BYTES;
  const fits = (text: string): boolean => new TextEncoder().encode(text).length <= budget;
  if (version > PROTOCOL_VERSION) {
    if (!fits(UPGRADE_RELAY_MESSAGE)) return undefined;
    return encodeControl({ ...controlHeader(PacketType.Error, 0), body: { code: ErrorCode.UnsupportedVersion, clientNonce: new Uint8Array(CLIENT_NONCE_BYTES), message: UPGRADE_RELAY_MESSAGE } });
  }
  if (version !== PREVIOUS_PROTOCOL_VERSION || datagram[TYPE_OFFSET] !== PacketType.Join) return undefined;
  if (datagram.length < HEADER_BYTES + CLIENT_NONCE_BYTES) return undefined;
  const message = UPGRADE_CLIENT_MESSAGES.find(fits);
  if (message === undefined) return undefined;
  const clientNonce = datagram.slice(HEADER_BYTES, HEADER_BYTES + CLIENT_NONCE_BYTES);
  const reply = encodeControl({ ...controlHeader(PacketType.Error, 0), body: { code: ErrorCode.UnsupportedVersion, clientNonce, message } });
  reply[VERSION_OFFSET] = PREVIOUS_PROTOCOL_VERSION;
  return reply;
}

/** An Error datagram of the previous version (an older relay's refusal), decoded; undefined for anything else. */
export function decodeOlderError(datagram: Uint8Array): { version: number; body: ErrorBody } | undefined {
  const version = peekVersion(datagram);
  if (version !== PREVIOUS_PROTOCOL_VERSION || datagram[TYPE_OFFSET] !== PacketType.Error) return undefined;
  const current = Uint8Array.from(datagram);
  current[VERSION_OFFSET] = PROTOCOL_VERSION;
  const decoded = decodePacket(current);
  return decoded.ok && decoded.value.type === PacketType.Error ? { version, body: decoded.value.body } : undefined;
}
