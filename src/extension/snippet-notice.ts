/**
 * What a notification says of a snippet someone shared: who, and the place it names (`src/a.ts:L10–L24`), both
 * network text made plain (plain-text.ts) inside our own words; never the code, which a toast cannot show in shape.
 */
import { snippetLocation, type SnippetMeta } from '../shared/snippet';
import { FILE_NAME_MAX_CHARS, NAME_MAX_CHARS, plainText, quoted } from './plain-text';

/** Longest place shown (a path and its lines), in code points: a long path keeps its start and is cut with `…`. */
const PLACE_MAX_CHARS = FILE_NAME_MAX_CHARS + 30;

/** `UDP Chat: “bob” shared src/a.ts:L10–L24`; `more`: others not notified. */
export function snippetNotice(from: string, meta: SnippetMeta, more = 0): string {
  return `UDP Chat: ${quoted(from, NAME_MAX_CHARS)} shared ${plainText(snippetLocation(meta), PLACE_MAX_CHARS)}${more > 0 ? ` (+${more} more)` : ''}`;
}
