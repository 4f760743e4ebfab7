/**
 * What a member name and a room name may be. Both sides check: the client before it asks, the relay before it
 * accepts. Names are shown to people, so characters that hide or disguise text are refused, and two names a
 * person could take for one another are the same name (UTS #39's ideas: see confusables.ts and scripts.ts).
 */
import { utf8ByteLength } from './bytes';
import { confusableKey } from './confusables';
import { MAX_NAME_BYTES, MAX_ROOM_BYTES } from './constants';
import { mixedScripts } from './scripts';

/**
 * Emoji sequences that legitimately use otherwise invisible characters: a variation selector (U+FE0E/U+FE0F) right
 * after a pictograph or in a keycap ("1️⃣"), and a zero-width joiner between pictographs ("👩‍💻"). They are taken
 * out before the invisible-character check, so a selector or joiner anywhere else is still refused.
 */
const EMOJI_SEQUENCE_PARTS = new RegExp(
  [
    String.raw`(?<=\p{Extended_Pictographic}[\u{1f3fb}-\u{1f3ff}]?)[\ufe0e\ufe0f]`,
    String.raw`(?<=[0-9#*])\ufe0f(?=\u20e3)`,
    String.raw`(?<=\p{Extended_Pictographic}[\ufe0f\u{1f3fb}-\u{1f3ff}]?)\u200d(?=\p{Extended_Pictographic})`,
  ].join('|'),
  'gu',
);

/**
 * Characters a name may not hold, each with what it is. Order matters: the first class that matches names the
 * character. Default_Ignorable_Code_Point covers zero-width characters, bidirectional controls, variation
 * selectors, tags (U+E0000–E007F), the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0) and U+180E; Cf adds the
 * interlinear annotation marks (U+FFF9–FFFB) and other format characters.
 */
const REFUSED_CHARACTERS: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /[\p{Cc}]/u, what: 'a control character' },
  { pattern: /[\p{Zl}\p{Zp}]/u, what: 'a line or paragraph separator' },
  { pattern: /[\p{Cs}]/u, what: 'a lone surrogate' },
  { pattern: /[\p{Co}]/u, what: 'a private-use character' },
  { pattern: /[\p{Default_Ignorable_Code_Point}\p{Cf}\u2800]/u, what: 'an invisible character' },
  { pattern: /[\p{Cn}]/u, what: 'an unassigned code point' },
  { pattern: /[^\P{Zs}\u0020]/u, what: 'a space other than the ordinary one' },
];

/**
 * UTS #39 section 5.4: more than four non-spacing marks in a row, or the same one twice in a row, hide what is
 * underneath or look like one mark. Measured in NFD.
 */
const STACKED_MARKS = /\p{Mn}{5}|(\p{Mn})\1/u;

const ROOM_PATTERN = /^[\p{L}\p{N}._-]+$/u;

export type NameCheck = { ok: true; value: string } | { ok: false; reason: string };

function codePointLabel(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** What in `value` hides or disguises text, as "an invisible character (U+200B)", or undefined. */
function refusedCharacter(value: string): string | undefined {
  const rest = value.replace(EMOJI_SEQUENCE_PARTS, '');
  for (const { pattern, what } of REFUSED_CHARACTERS) {
    const found = pattern.exec(rest);
    if (found) return `${what} (${codePointLabel(found[0])})`;
  }
  return undefined;
}

/** Normalizes (NFC, trimmed) and checks a member name. */
export function checkName(raw: string): NameCheck {
  const value = raw.normalize('NFC').trim();
  if (value.length === 0) return { ok: false, reason: 'a name cannot be empty' };
  if (utf8ByteLength(value) > MAX_NAME_BYTES) {
    return { ok: false, reason: `a name can be at most ${MAX_NAME_BYTES} bytes of UTF-8` };
  }
  const refused = refusedCharacter(value);
  if (refused) return { ok: false, reason: `a name cannot contain ${refused}` };
  if (STACKED_MARKS.test(value.normalize('NFD'))) {
    return { ok: false, reason: 'a name cannot stack more than four accents, or the same accent twice' };
  }
  const mixed = mixedScripts(value);
  if (mixed) return { ok: false, reason: `a name cannot ${mixed}` };
  return { ok: true, value };
}

/**
 * Normalizes (NFC, trimmed, lower case) and checks a room name: visible letters of one script (as for names),
 * digits, '.', '_' and '-'.
 */
export function checkRoom(raw: string): NameCheck {
  const value = raw.normalize('NFC').trim().toLowerCase();
  if (value.length === 0) return { ok: false, reason: 'a room name cannot be empty' };
  if (utf8ByteLength(value) > MAX_ROOM_BYTES) {
    return { ok: false, reason: `a room name can be at most ${MAX_ROOM_BYTES} bytes of UTF-8` };
  }
  if (!ROOM_PATTERN.test(value)) {
    return { ok: false, reason: "a room name can contain only letters, digits, '.', '_' and '-'" };
  }
  // Letters that are invisible (the Hangul fillers) or from mixed scripts would let "gеneral" pose as "general".
  const refused = refusedCharacter(value);
  if (refused) return { ok: false, reason: `a room name cannot contain ${refused}` };
  const mixed = mixedScripts(value);
  if (mixed) return { ok: false, reason: `a room name cannot ${mixed}` };
  return { ok: true, value };
}

/**
 * The key two names clash on: names that differ only in case, in normalization form, or by characters that look
 * alike (UTS #39's skeleton: Cyrillic "рор" and Latin "pop", "AIice" and "Alice", "b0b" and "bob") are the same
 * name in a room.
 */
export function nameKey(name: string): string {
  return confusableKey(name);
}
