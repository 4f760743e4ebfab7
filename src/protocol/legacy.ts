/**
 * The classic plaintext protocol of the classroom chat, spoken by a relay in legacy mode. Clients send single
 * datagrams: `NAME has joined the chat.`, `NAME: text`, `NAME has left the chat.` and `IMG:NAME:<jpeg bytes>`.
 * Pure parsing and formatting; the relay decides what a datagram means given who sent it.
 */
import { MAX_DATAGRAM_BYTES } from './constants';

/** Largest legacy datagram a classic client can send: an image that had to fit one UDP datagram. */
export const MAX_LEGACY_DATAGRAM_BYTES = 65_507;
/** Longest text forwarded to a legacy client in one datagram, so it never needs IP fragmentation either. */
export const MAX_LEGACY_TEXT_BYTES = MAX_DATAGRAM_BYTES;

export type LegacyDatagram =
  | { kind: 'join'; name: string }
  | { kind: 'leave'; name: string }
  | { kind: 'text'; name: string; text: string }
  | { kind: 'image'; name: string; jpeg: Uint8Array };

const JOIN_SUFFIX = ' has joined the chat.';
const LEAVE_SUFFIX = ' has left the chat.';
const IMAGE_PREFIX = 'IMG:';
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a legacy datagram. `knownName` is the name already bound to the sender's address, if any: the classic
 * format is ambiguous (a member called "IMG" sending ": hi" looks like an image header), so an image is only an
 * image when its name is the sender's and its bytes start like a JPEG.
 */
export function parseLegacy(bytes: Uint8Array, knownName?: string): LegacyDatagram | undefined {
  if (bytes.length === 0 || bytes.length > MAX_LEGACY_DATAGRAM_BYTES) return undefined;
  const image = parseLegacyImage(bytes, knownName);
  if (image) return image;
  let text: string;
  try {
    text = textDecoder.decode(bytes);
  } catch {
    return undefined;
  }
  text = text.replace(/\r?\n$/, '');
  if (text.endsWith(JOIN_SUFFIX)) {
    const name = text.slice(0, -JOIN_SUFFIX.length);
    if (name.length > 0 && (knownName === undefined || name === knownName)) return { kind: 'join', name };
  }
  if (text.endsWith(LEAVE_SUFFIX)) {
    const name = text.slice(0, -LEAVE_SUFFIX.length);
    if (name.length > 0 && (knownName === undefined || name === knownName)) return { kind: 'leave', name };
  }
  // `NAME: text`. With a known name, split exactly after it (names may contain ': ').
  if (knownName !== undefined) {
    const prefix = `${knownName}: `;
    if (text.startsWith(prefix)) return { kind: 'text', name: knownName, text: text.slice(prefix.length) };
    return undefined;
  }
  const colon = text.indexOf(': ');
  if (colon > 0) return { kind: 'text', name: text.slice(0, colon), text: text.slice(colon + 2) };
  return undefined;
}

function parseLegacyImage(bytes: Uint8Array, knownName: string | undefined): LegacyDatagram | undefined {
  if (knownName === undefined) return undefined;
  const prefix = new TextEncoder().encode(`${IMAGE_PREFIX}${knownName}:`);
  if (bytes.length < prefix.length + 3) return undefined;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return undefined;
  const jpeg = bytes.subarray(prefix.length);
  // JPEG start-of-image marker FF D8 FF.
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8 || jpeg[2] !== 0xff) return undefined;
  return { kind: 'image', name: knownName, jpeg };
}

export function formatLegacyText(name: string, text: string): string {
  return `${name}: ${text}`;
}

export function formatLegacyJoin(name: string): string {
  return `${name}${JOIN_SUFFIX}`;
}

export function formatLegacyLeave(name: string): string {
  return `${name}${LEAVE_SUFFIX}`;
}

export function formatLegacyImageNotice(name: string): string {
  return `${name} sent an image.`;
}
