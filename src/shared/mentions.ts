/**
 * `@name` mentions of a room's members in a text: where they are (for highlighting) and who they name (for
 * notifications and unread counts). Pure, with no DOM or node import: the extension host and the webview both use
 * it, so what is highlighted is what notifies. Names are compared ignoring case, as the relay keeps them unique.
 */

/** A mention in a text: [start, end) in UTF-16 offsets, covering the `@` and the name, and the member named. */
export interface MentionRange {
  start: number;
  end: number;
  name: string;
}

/** Most mentions looked for in one text: a text of 16 KiB of `@bob` is not worth 4,000 highlights. */
export const MAX_MENTIONS_PER_TEXT = 64;
/** Names longer than a protocol name (32 bytes of UTF-8 is at most 32 UTF-16 units) are never members. */
const MAX_NAME_UNITS = 64;

/** A letter, digit or underscore: what may not touch a mention on either side ("x@bob", "@bobby"). */
const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && WORD_CHAR.test(char);
}

/**
 * The mentions of `names` in `text`, in order. The longest name wins where several start at one `@` ("@ann lee"
 * before "@ann"); a mention must not be preceded or followed by a letter or digit. At most MAX_MENTIONS_PER_TEXT.
 */
export function findMentions(text: string, names: readonly string[]): MentionRange[] {
  if (names.length === 0 || !text.includes('@')) return [];
  const candidates = [...new Set(names.filter((name) => name.length > 0 && name.length <= MAX_NAME_UNITS))]
    .map((name) => ({ name, lower: name.toLowerCase() }))
    .sort((a, b) => b.lower.length - a.lower.length);
  const lowerText = text.toLowerCase();
  // toLowerCase keeps UTF-16 lengths for every name the protocol allows except a few (İ): fall back to no match.
  if (lowerText.length !== text.length) return [];
  const found: MentionRange[] = [];
  let at = lowerText.indexOf('@');
  while (at >= 0 && found.length < MAX_MENTIONS_PER_TEXT) {
    let next = at + 1;
    if (!isWordChar(text[at - 1])) {
      const hit = candidates.find((candidate) => lowerText.startsWith(candidate.lower, at + 1) && !isWordChar(text[at + 1 + candidate.lower.length]));
      if (hit !== undefined) {
        const end = at + 1 + hit.lower.length;
        found.push({ start: at, end, name: hit.name });
        next = end;
      }
    }
    at = lowerText.indexOf('@', next);
  }
  return found;
}

/** The members `text` mentions, each once, in order of first mention. */
export function mentionedNames(text: string, names: readonly string[]): string[] {
  return [...new Set(findMentions(text, names).map((range) => range.name))];
}

/** Whether `mentions` (names) includes `self`, ignoring case. */
export function mentionsName(mentions: readonly string[] | undefined, self: string | undefined): boolean {
  if (mentions === undefined || self === undefined) return false;
  const lower = self.toLowerCase();
  return mentions.some((name) => name.toLowerCase() === lower);
}
