/**
 * The text side of the local history's search: what is typed becomes an FTS5 query that no FTS5 syntax survives
 * in, and a match marked by `highlight()` becomes a plain-text excerpt with ranges (never markup). Pure.
 */

/** Private-use characters that mark matches in `highlight()`; text that contains them gets no ranges. */
export const MARK_OPEN = '\uE000';
export const MARK_CLOSE = '\uE001';
/** Characters of an entry shown around the first match in a search result (UTF-16 units). */
const EXCERPT_CHARS = 160;
/** Characters of context kept before the first match in an excerpt. */
const EXCERPT_LEAD_CHARS = 50;
/** Words of a query used (the rest are ignored): FTS5 queries stay small whatever is typed. */
const MAX_QUERY_WORDS = 16;

/**
 * What was typed as an FTS5 query: its words (letters, digits, marks), each quoted so no FTS5 syntax survives, all
 * required, the last one as a prefix (so results come while typing). Undefined when there is no word.
 */
export function ftsQuery(query: string): string | undefined {
  const words = foldForSearch(query.normalize('NFKC')).match(/[\p{L}\p{N}\p{M}]+/gu)?.slice(0, MAX_QUERY_WORDS);
  if (!words || words.length === 0) return undefined;
  return words.map((word, i) => `"${word}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}

/**
 * The text as the index sees it: each code point without its diacritics when that leaves one code point of the
 * same length (Greek `έ` is `ε`, Latin `é` is `e`), else as it is. unicode61's `remove_diacritics` folds Latin
 * letters only; folding here covers every script, and keeps every offset the same, so a match in the folded text
 * is a match at the same place in the text.
 */
export function foldForSearch(text: string): string {
  let folded = '';
  for (const char of text) {
    const base = char.normalize('NFD').replace(/\p{M}+/gu, '');
    folded += base.length === char.length && [...base].length === 1 ? base : char;
  }
  return folded;
}

/**
 * A plain-text excerpt around the first match and the matched ranges in it, from the text, its folded copy the
 * index holds, and `highlight()`'s copy of that with markers. When the marked copy does not line up with the
 * folded one (the text holds a marker character), the excerpt comes without ranges.
 */
export function excerptOf(text: string, folded: string, marked: string): { excerpt: string; matches: Array<[number, number]> } {
  const ranges: Array<[number, number]> = [];
  let plain = '';
  let open = -1;
  for (const char of marked) {
    if (char === MARK_OPEN) open = plain.length;
    else if (char === MARK_CLOSE && open >= 0) {
      if (plain.length > open) ranges.push([open, plain.length]);
      open = -1;
    } else plain += char;
  }
  const trusted = plain === folded && folded.length === text.length;
  const first = trusted ? (ranges[0]?.[0] ?? 0) : 0;
  let start = Math.max(0, first - EXCERPT_LEAD_CHARS);
  let end = Math.min(text.length, start + EXCERPT_CHARS);
  // Never cut a surrogate pair in half.
  if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start--;
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end++;
  const lead = start > 0 ? '…' : '';
  const excerpt = lead + text.slice(start, end).replace(/\s/g, ' ') + (end < text.length ? '…' : '');
  const matches: Array<[number, number]> = [];
  if (trusted) {
    for (const [from, to] of ranges) {
      const a = Math.max(from, start);
      const b = Math.min(to, end);
      if (a < b) matches.push([a - start + lead.length, b - start + lead.length]);
    }
  }
  return { excerpt, matches };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
