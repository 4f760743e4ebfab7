/**
 * The Markdown a message may use, as markdown-it tokens: inline code, fenced (and indented) code blocks, bold,
 * italic, strike-through, block quotes, lists and links. Raw HTML is off (`html: false`: `<b>` is text), and so is
 * everything else: headings, tables, rules, images (`![x](y)` stays as typed), entities (`&lt;` stays as typed),
 * reference definitions. A link is a link only to an http(s) address (`isWebLink`); any other target leaves the
 * brackets as typed text. The tokens are built into DOM by markdown.ts, never rendered to HTML. Pure: no DOM.
 */
import MarkdownIt from 'markdown-it';
import type { StateInline, Token } from 'markdown-it';
import { isWebLink } from '../src/shared/panel-messages';

const md = new MarkdownIt('zero', { html: false, linkify: true, typographer: false });
md.enable(['blockquote', 'code', 'fence', 'list', 'backticks', 'emphasis', 'strikethrough', 'link', 'linkify', 'autolink', 'newline', 'escape']);
// Nesting of quotes and lists is bounded by the preset's maxNesting (20 levels; deeper stays text).
// Only addresses written with http:// or https:// become links, as in plain texts: not `example.com`, e-mail
// addresses, `//host` or ftp:.
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
md.linkify.add('ftp:', null).add('//', null).add('mailto:', null);
md.validateLink = (url: string): boolean => isWebLink(url);

/**
 * `![` is taken as text before the link rule sees its `[`: with images off, `![alt](src)` would otherwise become
 * "!" and a link. The rest of it then has no opening bracket and stays text too.
 */
function imageAsText(state: StateInline, silent: boolean): boolean {
  if (state.src.charCodeAt(state.pos) !== 0x21 /* ! */ || state.src.charCodeAt(state.pos + 1) !== 0x5b /* [ */) return false;
  if (!silent) state.pending += '![';
  state.pos += 2;
  return true;
}
md.inline.ruler.before('link', 'image_as_text', imageAsText);

/**
 * Whether `text` may hold Markdown this subset renders: a backtick, `*`, `_`, `~`, `[` or `<` anywhere, a line
 * starting with `>`, a list marker or four spaces. Texts without any are shown on the plain path, unparsed (most
 * chat lines: the 10,000-message first paint depends on it). A backslash alone escapes nothing worth a parse.
 */
const MARKDOWN_HINT = /[`*_~[<]|^[ \t]*(?:>|[-+][ \t]|\d{1,9}[.)][ \t])|^(?: {4}|\t)/m;

export function hasMarkdownSyntax(text: string): boolean {
  return MARKDOWN_HINT.test(text);
}

/** The block tokens of `text` (each `inline` token's children are its inline tokens). */
export function parseMarkdown(text: string): Token[] {
  return md.parse(text, {});
}
