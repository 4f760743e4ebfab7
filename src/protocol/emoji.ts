/**
 * What a reaction may be: one emoji, as people pick them from a picker. Both sides check: the sender before it
 * sends, every receiver before it shows one (a reaction is network text). Pure.
 */
import { utf8ByteLength } from './bytes';

/** Longest reaction in UTF-8 bytes: the longest emoji ZWJ sequences (families, flags of regions) are about 28. */
export const MAX_EMOJI_BYTES = 32;

/**
 * Whitespace, controls, private use and format characters, but those emoji sequences are made with: the joiner
 * (U+200D) and the tags of subdivision flags (U+E0020–E007F). Unassigned code points pass: a newer Unicode's emoji
 * must not be refused by an older runtime.
 */
const REFUSED = /[\s\p{Cc}\p{Cs}\p{Co}]|(?![\u200d\u{e0020}-\u{e007f}])\p{Cf}/u;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export type EmojiCheck = { ok: true; value: string } | { ok: false; reason: string };

/** One grapheme cluster of 1 to MAX_EMOJI_BYTES bytes, with no whitespace, control or invisible format character. */
export function checkEmoji(emoji: string): EmojiCheck {
  if (emoji.length === 0) return { ok: false, reason: 'a reaction is one emoji, not nothing' };
  const bytes = utf8ByteLength(emoji);
  if (bytes > MAX_EMOJI_BYTES) return { ok: false, reason: `a reaction is at most ${MAX_EMOJI_BYTES} bytes; this one is ${bytes}` };
  if (REFUSED.test(emoji)) return { ok: false, reason: 'a reaction may not hold spaces, control or invisible characters' };
  let count = 0;
  for (const _ of graphemes.segment(emoji)) count++;
  if (count !== 1) return { ok: false, reason: `a reaction is one emoji (one character as shown); this is ${count}` };
  return { ok: true, value: emoji };
}
