/**
 * A code snippet as a card: `path:L10–L24` and the language, the repository it came from (remote · branch · short
 * commit, as text), the code highlighted with its own line numbers, and Copy and Open. Everything in it crossed
 * the network and is built through dom.ts as text: the path is a label, the remote never a link. The line numbers
 * are drawn by CSS from `data-line` (markdown.css), so selecting and copying the code takes the code alone, and
 * search marks only the code. The card's height is capped by CSS with the code scrolling inside it, so a long
 * snippet is one row of fixed size in the log. Copy and Open are `.entry__action`s: routed by the log's one
 * click handler (entry-view.ts) and put in the tab order with the row's other controls (conversation-keys.ts).
 */
import type { SnippetMeta } from '../src/shared/snippet';
import { snippetLocation } from '../src/shared/snippet';
import { h } from './dom';
import { codeLines, grammarFor } from './code-highlight';

/** Digits of a short commit id, as Git abbreviates them. */
const SHORT_COMMIT_DIGITS = 7;
/** Widest line number the gutter is sized for (markdown.css has a rule per width up to this, in digits). */
const MAX_GUTTER_DIGITS = 8;

/** "remote · branch · 1a2b3c4" from what the sender's Git knew, or undefined when it knew nothing. */
export function repoLine(meta: SnippetMeta): string | undefined {
  const { remote, branch, commit } = meta.repo ?? {};
  const parts = [remote, branch, commit?.slice(0, SHORT_COMMIT_DIGITS)].filter((part): part is string => part !== undefined && part !== '');
  return parts.length === 0 ? undefined : parts.join(' · ');
}

/** The code as one span per line, each numbered from `startLine` through `data-line`. */
function numberedCode(code: string, meta: SnippetMeta): HTMLElement {
  const grammar = grammarFor(meta.language);
  const lines = codeLines(code, grammar);
  const element = h('code', { class: grammar === undefined ? 'entry__text snippet__lines' : `entry__text snippet__lines hljs language-${grammar}` });
  lines.forEach((line, index) => {
    const row = h('span', { class: 'code__line', attrs: { 'data-line': meta.startLine + index } });
    row.append(...line);
    element.append(row);
    if (index < lines.length - 1) element.append('\n');
  });
  const digits = Math.min(MAX_GUTTER_DIGITS, String(meta.startLine + Math.max(0, lines.length - 1)).length);
  return h('pre', { class: 'snippet__code', attrs: { 'data-digits': digits } }, [element]);
}

function snippetButton(kind: 'copy' | 'open', label: string, name: string): HTMLButtonElement {
  return h('button', { class: `entry__action snippet__${kind}`, attrs: { type: 'button', tabindex: -1, 'data-action': `${kind}-snippet`, title: name, 'aria-label': name } }, [label]);
}

/** The card of a snippet whose code is `code`. */
export function renderSnippet(code: string, meta: SnippetMeta): HTMLElement {
  const location = snippetLocation(meta);
  const repo = repoLine(meta);
  return h('div', { class: 'snippet', attrs: { role: 'group', 'aria-label': `Code snippet ${location}, ${meta.language}` } }, [
    h('div', { class: 'snippet__header' }, [
      h('span', { class: 'snippet__location', attrs: { title: location } }, [location]),
      h('span', { class: 'snippet__language' }, [meta.language]),
      h('span', { class: 'snippet__buttons' }, [snippetButton('copy', 'Copy', `Copy snippet ${location}`), snippetButton('open', 'Open', `Open ${location}`)]),
    ]),
    repo === undefined ? null : h('div', { class: 'snippet__repo', attrs: { title: repo } }, [repo]),
    h('div', { class: 'snippet__scroll' }, [numberedCode(code, meta)]),
  ]);
}
