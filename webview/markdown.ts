/**
 * A message's Markdown (markdown-parse.ts) as DOM, built element by element from the tokens through dom.ts: every
 * piece of text becomes a text node, so nothing a peer typed is ever parsed as HTML. Links become `a.entry__link`
 * (opened only through the host, after it asks) when they go to http(s), and inert text otherwise; code blocks
 * are highlighted by code-highlight.ts. The text runs get their `@mentions` marked, as on the plain path.
 */
import type { Token } from 'markdown-it';
import { isWebLink } from '../src/shared/panel-messages';
import { append, h } from './dom';
import { highlightedCode, grammarFor } from './code-highlight';
import { parseMarkdown } from './markdown-parse';
import { withMentions } from './mention-text';

/** The first word of a fence's info string: its language hint (```ts title="a.ts" → `ts`). */
function fenceLanguage(info: string): string | undefined {
  const word = info.trim().split(/\s+/, 1)[0] ?? '';
  return word === '' ? undefined : word;
}

/** A fenced or indented code block: `pre > code`, highlighted when its language is one we know. */
export function codeBlock(content: string, language: string | undefined): HTMLElement {
  // markdown-it ends a block's content with its last newline; shown, it would add an empty line.
  const code = content.endsWith('\n') ? content.slice(0, -1) : content;
  const grammar = grammarFor(language);
  const element = h('code', { class: grammar === undefined ? 'md__code' : `md__code hljs language-${grammar}` });
  element.append(...highlightedCode(code, grammar));
  return h('pre', { class: 'md__pre', attrs: { 'data-language': grammar } }, [element]);
}

/** The element an opening token starts, or undefined for one that adds none (a tight list's paragraph). */
function blockElement(token: Token): HTMLElement | undefined {
  switch (token.type) {
    case 'paragraph_open':
      return token.hidden ? undefined : h('p', { class: 'md__p' });
    case 'blockquote_open':
      return h('blockquote', { class: 'md__quote' });
    case 'bullet_list_open':
      return h('ul', { class: 'md__list' });
    case 'ordered_list_open': {
      const start = Number(token.attrGet('start') ?? '1');
      return h('ol', { class: 'md__list', attrs: { start: Number.isSafeInteger(start) && start !== 1 ? start : undefined } });
    }
    case 'list_item_open':
      return h('li', { class: 'md__item' });
    default:
      return undefined;
  }
}

function appendInline(parent: HTMLElement, tokens: readonly Token[], mentions: readonly string[], self: string | undefined): void {
  const stack: HTMLElement[] = [parent];
  for (const token of tokens) {
    const top = stack.at(-1) as HTMLElement;
    switch (token.type) {
      case 'text':
        append(top, withMentions(token.content, mentions, self));
        break;
      case 'code_inline':
        top.append(h('code', { class: 'md__code-inline' }, [token.content]));
        break;
      case 'softbreak':
      case 'hardbreak':
        top.append('\n');
        break;
      case 'strong_open':
      case 'em_open':
      case 's_open':
      case 'link_open': {
        const element = inlineElement(token);
        top.append(element);
        stack.push(element);
        break;
      }
      case 'strong_close':
      case 'em_close':
      case 's_close':
      case 'link_close':
        if (stack.length > 1) stack.pop();
        break;
      default:
        // Nothing else is enabled; should a token appear anyway, its text is shown as text.
        if (token.content !== '') top.append(token.content);
    }
  }
}

function inlineElement(token: Token): HTMLElement {
  switch (token.type) {
    case 'strong_open':
      return h('strong', { class: 'md__strong' });
    case 'em_open':
      return h('em', { class: 'md__em' });
    case 's_open':
      return h('s', { class: 'md__strike' });
    default: {
      const href = token.attrGet('href') ?? '';
      // markdown-parse.ts lets only web links through; a second look costs nothing and keeps that true here.
      return isWebLink(href) ? h('a', { class: 'entry__link', attrs: { href, title: href } }) : h('span', { class: 'md__inert-link' });
    }
  }
}

/** `text` as Markdown into `body` (the `.entry__text` of a message). */
export function renderMarkdown(body: HTMLElement, text: string, mentions: readonly string[], self: string | undefined): void {
  const stack: HTMLElement[] = [body];
  for (const token of parseMarkdown(text)) {
    const top = stack.at(-1) as HTMLElement;
    if (token.nesting === 1) {
      const element = blockElement(token);
      if (element !== undefined) top.append(element);
      stack.push(element ?? top);
    } else if (token.nesting === -1) {
      if (stack.length > 1) stack.pop();
    } else if (token.type === 'inline') {
      appendInline(top, token.children ?? [], mentions, self);
    } else if (token.type === 'fence') {
      top.append(codeBlock(token.content, fenceLanguage(token.info)));
    } else if (token.type === 'code_block') {
      top.append(codeBlock(token.content, undefined));
    } else if (token.content !== '') {
      top.append(token.content);
    }
  }
}
