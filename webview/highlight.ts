/**
 * Marking search matches without parsing markup: matched text goes into `<mark>` elements as text nodes, so an
 * excerpt or a message holding `<b>` or `<img onerror>` shows those characters and never creates an element.
 */
import { h } from './dom';

/** An excerpt with its matched [start, end) ranges marked; ranges out of order, overlapping or outside are skipped. */
export function markedText(text: string, ranges: ReadonlyArray<readonly [number, number]>): DocumentFragment {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const [start, end] of ranges) {
    if (start < last || end <= start || start >= text.length) continue;
    const stop = Math.min(end, text.length);
    if (start > last) fragment.append(document.createTextNode(text.slice(last, start)));
    fragment.append(h('mark', { class: 'match' }, [text.slice(start, stop)]));
    last = stop;
  }
  if (last < text.length) fragment.append(document.createTextNode(text.slice(last)));
  return fragment;
}

/** Full-text operators a query may hold; they are not words to highlight. */
const OPERATORS = new Set(['AND', 'OR', 'NOT', 'NEAR']);
/** Most words of one query highlighted: a bound on the pattern built from them. */
const MAX_WORDS = 16;

/** The words of a search query worth highlighting: runs of letters and digits, without operators. */
export function queryWords(query: string): string[] {
  const words = (query.match(/[\p{L}\p{N}_]+/gu) ?? []).filter((word) => !OPERATORS.has(word)).map((word) => word.toLocaleLowerCase());
  return [...new Set(words)].slice(0, MAX_WORDS);
}

/**
 * Marks every occurrence of `words` that starts a word (as a full-text prefix match does), case-insensitively, in
 * the message text under `root`; returns how many it marked.
 */
export function highlightWords(root: Element, words: readonly string[]): number {
  if (words.length === 0) return 0;
  const escaped = words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${escaped.join('|')})`, 'giu');
  const texts: Text[] = [];
  for (const body of root.querySelectorAll('.entry__text')) {
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      if (!(node.parentElement?.closest('mark') ?? null)) texts.push(node as Text);
    }
  }
  let marked = 0;
  for (const node of texts) {
    const text = node.data;
    const ranges: Array<[number, number]> = [];
    for (const match of text.matchAll(pattern)) ranges.push([match.index, match.index + match[0].length]);
    if (ranges.length === 0) continue;
    marked += ranges.length;
    node.replaceWith(markedText(text, ranges));
  }
  return marked;
}
