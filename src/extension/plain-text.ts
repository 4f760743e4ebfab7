/**
 * Network text made safe for the VS Code sinks that read syntax into a string: notifications turn
 * `[label](https://…|command:…|file:…)` into a live link (VS Code's `parseLinkedText`, and `command:` links run
 * commands), status bar texts and quick pick labels turn `$(name)` into an icon, Markdown autolinks `<…>` and bare
 * URIs, and bidi controls reorder what the user reads. Pure and vscode-free, so every rule is unit-tested.
 *
 * Syntax characters are replaced by their fullwidth look-alikes (U+FF01–FF5E) rather than escaped: they read the
 * same to a person, no VS Code parser treats them as syntax, and there is no escape rule that a second parser
 * could undo (a backslash escape means something different to Markdown, to codicons and to `parseLinkedText`).
 */

/** Longest name shown in a notification or a status bar, in code points: longer than any name the protocol allows. */
export const NAME_MAX_CHARS = 40;
/** Longest file name in a progress title or a notification, in code points. */
export const FILE_NAME_MAX_CHARS = 60;
/** Longest message preview in a notification, in code points: a toast shows about two lines of it. */
export const PREVIEW_MAX_CHARS = 120;
/** Longest relay or client error text in a notification, in code points (VS Code itself cuts at 1,000). */
export const REASON_MAX_CHARS = 300;
/** Combining marks kept on one base character: enough for any script, not for a "zalgo" tower over the toast. */
const MAX_MARKS_PER_CHAR = 4;
/** Code units looked at per code point kept, so the work is bounded before any rule runs. */
const INPUT_UNITS_PER_CHAR = 8;

const SYNTAX_LOOK_ALIKES: Readonly<Record<string, string>> = {
  '[': '\uFF3B', // ［ the link label's brackets: without them parseLinkedText and Markdown find no link
  ']': '\uFF3D', // ］
  '<': '\uFF1C', // ＜ Markdown autolinks and HTML
  '>': '\uFF1E', // ＞
  '\u201C': '"', // “ and ” would let a name close the quotes a fixed text puts around it
  '\u201D': '"',
};

/**
 * Invisible or reordering characters, removed: C0/C1 controls (newlines and tabs became spaces before), format
 * characters (bidi embeddings, overrides and isolates, U+061C, zero-width spaces and joiners, U+FEFF, soft
 * hyphens, U+FFF9–FFFB, tags), private-use code points (the codicon font draws icons there), lone surrogates,
 * the combining grapheme joiner and the Hangul fillers that render as nothing. The first alternative keeps a
 * zero-width joiner inside an emoji sequence (👩‍💻), where it carries meaning.
 */
const INVISIBLE = /(\p{Extended_Pictographic}\uFE0F?\u200D)(?=\p{Extended_Pictographic})|[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u034F\u115F\u1160\u3164\uFFA0]/gu;
/** Whitespace as JavaScript's `\s` knows it, but U+FEFF (a zero-width no-break space, removed), and U+0085. */
const LINE_BREAKS_AND_SPACES = /(?:[^\S\uFEFF]|\u0085)+/gu;
const MARK_RUNS = new RegExp(`(\\p{M}{${MAX_MARKS_PER_CHAR}})\\p{M}+`, 'gu');
const SYNTAX = /[[\]<>\u201C\u201D]/g;
/** `$(icon)` (and `$(icon~spin)`): the `$` before `(` becomes ＄, so no label renders an icon from the network. */
const CODICON = /\$(?=\()/g;
/**
 * URI schemes VS Code or a Markdown renderer would open, written as a URI (the colon followed by more): the colon
 * becomes ：, so no sink linkifies a bare `command:x` or `https://x` either. `\b` leaves words such as
 * "xcommand:" alone, and "data: 5 rows" keeps its colon.
 */
const LINK_SCHEMES = /\b(command|https?|file|vscode(?:-[a-z0-9-]+)?|mailto|s?ftp|data|javascript|vbscript|ssh|git):(?=\S)/giu;

/**
 * One line of inert text from a network string: invisible and reordering characters removed, line breaks and
 * runs of spaces made one space, link, autolink, icon and URI syntax replaced by look-alikes, at most `maxChars`
 * code points (the last one `…` when cut). Idempotent.
 */
export function plainText(raw: string, maxChars: number): string {
  const limit = Math.max(1, Math.floor(maxChars));
  const bound = limit * INPUT_UNITS_PER_CHAR + 16;
  const cut = raw.length > bound;
  const text = (cut ? raw.slice(0, bound) : raw)
    .replace(LINE_BREAKS_AND_SPACES, ' ')
    .replace(INVISIBLE, (_match, emojiJoined: string | undefined) => emojiJoined ?? '')
    .replace(MARK_RUNS, '$1')
    .replace(SYNTAX, (char) => SYNTAX_LOOK_ALIKES[char] ?? char)
    .replace(CODICON, '\uFF04')
    .replace(LINK_SCHEMES, '$1\uFF1A')
    .replace(LINE_BREAKS_AND_SPACES, ' ')
    .trim();
  const chars = Array.from(text);
  if (!cut && chars.length <= limit) return text;
  return `${chars.slice(0, limit - 1).join('').trimEnd()}…`;
}

/** `plainText` between typographic quotes, for a network part inside a fixed text: `from “alice”`. */
export function quoted(raw: string, maxChars: number): string {
  return `\u201C${plainText(raw, maxChars)}\u201D`;
}

/**
 * What a new-message notification says. `text` undefined: the peer sent an image. `more`: others not notified.
 * `mention`: the message mentions you.
 */
export function incomingNotice(from: string, text: string | undefined, more = 0, mention = false): string {
  const sender = quoted(from, NAME_MAX_CHARS);
  const what =
    text === undefined
      ? `image from ${sender}`
      : `${mention ? `${sender} mentioned you` : `message from ${sender}`}: ${quoted(text, PREVIEW_MAX_CHARS)}`;
  return `UDP Chat: ${what}${more > 0 ? ` (+${more} more)` : ''}`;
}
