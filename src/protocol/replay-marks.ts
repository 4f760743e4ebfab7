/**
 * Replay high-water marks: per (sender member key, sender epoch) the highest counter a client accepted, so a
 * restarted client refuses what it had already opened (see ContentOpener.exportMarks / restoreMarks).
 *
 * Stored as bytes, version first, so every store keeps the same compact form and an unknown version is told apart
 * from damage:
 *
 *   version (1 byte, = 1) ‖ count (uint16 BE, ≤ MAX_REPLAY_MARKS)
 *   ‖ count × ( member key (32) ‖ epoch (8) ‖ counter (uint32 BE, ≥ 1) ), least recently used first
 *
 * Pure: decoding never throws.
 */

export const REPLAY_MARKS_VERSION = 1;
/**
 * Sender epochs whose marks are kept: a member process draws one epoch (more only after 2^32 messages), so this is
 * the last 1,024 member sessions a client heard from. Beyond it the least recently used is forgotten.
 */
export const MAX_REPLAY_MARKS = 1024;
const KEY_BYTES = 32;
const EPOCH_BYTES = 8;
/** Bytes of one mark: member key, epoch, counter. */
export const REPLAY_MARK_BYTES = KEY_BYTES + EPOCH_BYTES + 4;
const HEADER_BYTES = 3;
/** Largest encoding: 3 + 1,024 × 44 = 45,059 bytes. */
export const MAX_REPLAY_MARKS_BYTES = HEADER_BYTES + MAX_REPLAY_MARKS * REPLAY_MARK_BYTES;

export interface ReplayMark {
  /** The sender's Ed25519 member key (32 bytes). */
  senderKey: Uint8Array;
  /** The sender's nonce epoch (8 bytes). */
  epoch: Uint8Array;
  /** The highest counter accepted under that epoch (1 to 2^32 − 1). */
  counter: number;
}

/** Encoded marks (version first): what a ReplayMarkStore keeps. */
export type ReplayMarks = Uint8Array;

export type DecodedReplayMarks =
  | { ok: true; marks: ReplayMark[] }
  | { ok: false; reason: 'unknown-version'; version: number }
  | { ok: false; reason: 'malformed'; detail: string };

/**
 * Encodes at most the last MAX_REPLAY_MARKS marks (the most recently used, when ordered least recent first); a mark
 * with a key, epoch or counter out of range is left out.
 */
export function encodeReplayMarks(marks: readonly ReplayMark[]): ReplayMarks {
  const valid = marks.filter(
    (mark) => mark.senderKey.length === KEY_BYTES && mark.epoch.length === EPOCH_BYTES && Number.isInteger(mark.counter) && mark.counter >= 1 && mark.counter <= 0xffff_ffff,
  );
  const kept = valid.slice(Math.max(0, valid.length - MAX_REPLAY_MARKS));
  const bytes = new Uint8Array(HEADER_BYTES + kept.length * REPLAY_MARK_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, REPLAY_MARKS_VERSION);
  view.setUint16(1, kept.length);
  kept.forEach((mark, index) => {
    const at = HEADER_BYTES + index * REPLAY_MARK_BYTES;
    bytes.set(mark.senderKey, at);
    bytes.set(mark.epoch, at + KEY_BYTES);
    view.setUint32(at + KEY_BYTES + EPOCH_BYTES, mark.counter);
  });
  return bytes;
}

export function decodeReplayMarks(bytes: Uint8Array): DecodedReplayMarks {
  if (bytes.length < 1) return { ok: false, reason: 'malformed', detail: 'empty' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== REPLAY_MARKS_VERSION) return { ok: false, reason: 'unknown-version', version };
  if (bytes.length < HEADER_BYTES) return { ok: false, reason: 'malformed', detail: 'cut short' };
  const count = view.getUint16(1);
  if (count > MAX_REPLAY_MARKS) return { ok: false, reason: 'malformed', detail: `${count} marks, more than ${MAX_REPLAY_MARKS}` };
  if (bytes.length !== HEADER_BYTES + count * REPLAY_MARK_BYTES) return { ok: false, reason: 'malformed', detail: `${bytes.length} bytes for ${count} marks` };
  const marks: ReplayMark[] = [];
  for (let index = 0; index < count; index++) {
    const at = HEADER_BYTES + index * REPLAY_MARK_BYTES;
    const counter = view.getUint32(at + KEY_BYTES + EPOCH_BYTES);
    if (counter === 0) return { ok: false, reason: 'malformed', detail: `mark ${index} has counter 0` };
    marks.push({ senderKey: bytes.slice(at, at + KEY_BYTES), epoch: bytes.slice(at + KEY_BYTES, at + KEY_BYTES + EPOCH_BYTES), counter });
  }
  return { ok: true, marks };
}
