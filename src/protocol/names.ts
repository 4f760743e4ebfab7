/**
 * What a member name and a room name may be. Both sides check: the client before it asks, the relay before it
 * accepts. Names are shown to people, so characters that hide or disguise text are refused.
 */
import { utf8ByteLength } from './bytes';
import { MAX_NAME_BYTES, MAX_ROOM_BYTES } from './constants';

/** C0/C1 controls, DEL, zero-width and bidirectional overrides: they make names render as something else. */
const INVISIBLE_OR_CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;
const ROOM_PATTERN = /^[\p{L}\p{N}._-]+$/u;

export type NameCheck = { ok: true; value: string } | { ok: false; reason: string };

/** Normalizes (NFC, trimmed) and checks a member name. */
export function checkName(raw: string): NameCheck {
  const value = raw.normalize('NFC').trim();
  if (value.length === 0) return { ok: false, reason: 'a name cannot be empty' };
  if (utf8ByteLength(value) > MAX_NAME_BYTES) {
    return { ok: false, reason: `a name can be at most ${MAX_NAME_BYTES} bytes of UTF-8` };
  }
  if (INVISIBLE_OR_CONTROL.test(value)) {
    return { ok: false, reason: 'a name cannot contain control or invisible characters' };
  }
  return { ok: true, value };
}

/** Normalizes (NFC, trimmed, lower case) and checks a room name: letters, digits, '.', '_' and '-'. */
export function checkRoom(raw: string): NameCheck {
  const value = raw.normalize('NFC').trim().toLowerCase();
  if (value.length === 0) return { ok: false, reason: 'a room name cannot be empty' };
  if (utf8ByteLength(value) > MAX_ROOM_BYTES) {
    return { ok: false, reason: `a room name can be at most ${MAX_ROOM_BYTES} bytes of UTF-8` };
  }
  if (!ROOM_PATTERN.test(value)) {
    return { ok: false, reason: "a room name can contain only letters, digits, '.', '_' and '-'" };
  }
  return { ok: true, value };
}

/** The key two names clash on: names differing only in case are the same name in a room. */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLocaleLowerCase('en-US');
}
