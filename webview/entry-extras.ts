/**
 * What a message shows besides its sender and time: its text (Markdown, safe links, highlighted mentions), the quote
 * of the message it answers, its reactions, "(edited)", the deleted placeholder, and its actions (Reply, React,
 * Edit, Delete). Built through dom.ts only: names, texts and emoji from the network stay text. The controls are
 * out of the tab order (tabindex -1) until their row is the one in focus (conversation-keys.ts), so a long log
 * is not a hundred tab stops; each has an accessible name.
 */
import type { EntryView, ReactionView } from '../src/shared/panel-messages';
import { append, h } from './dom';
import { formatFullDate } from './format';
import { renderMarkdown } from './markdown';
import { hasMarkdownSyntax } from './markdown-parse';
import { withMentions } from './mention-text';

type MessageEntry = Extract<EntryView, { kind: 'text' | 'image' }>;

/** Emoji the React button offers first (any emoji a peer sends is shown too). */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢', '👀', '✅'] as const;

/** Link text must look like a web address and parse as http(s); everything else stays text. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?'")\]}]+$/;

function safeHref(candidate: string): string | undefined {
  try {
    const url = new URL(candidate);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The message body: its Markdown (markdown.ts) when it holds any, else the plain path, unparsed: links as anchors
 * (opened only through the host), mentions highlighted.
 */
export function renderText(text: string, mentions: readonly string[] = [], self?: string): HTMLElement {
  const body = h('div', { class: 'entry__text' });
  if (hasMarkdownSyntax(text)) {
    body.classList.add('entry__text--markdown');
    renderMarkdown(body, text, mentions, self);
    return body;
  }
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index;
    let url = match[0];
    const trailing = TRAILING_PUNCTUATION.exec(url);
    if (trailing !== null) url = url.slice(0, url.length - trailing[0].length);
    const href = safeHref(url);
    if (href === undefined) continue;
    if (start > last) append(body, withMentions(text.slice(last, start), mentions, self));
    body.append(h('a', { class: 'entry__link', attrs: { href, title: href } }, [url]));
    last = start + url.length;
  }
  if (last < text.length) append(body, withMentions(text.slice(last), mentions, self));
  return body;
}

/** Whether a message mentions `self`. */
export function mentionsSelf(entry: MessageEntry, self: string | undefined): boolean {
  if (self === undefined || entry.own) return false;
  const me = self.toLowerCase();
  return (entry.mentions ?? []).some((name) => name.toLowerCase() === me);
}

/** The quote of the message a reply answers: a button that goes to it. */
export function renderQuote(entry: MessageEntry): HTMLElement | null {
  const reply = entry.replyTo;
  if (reply === undefined) return null;
  const who = reply.from ?? 'a message';
  const excerpt = reply.excerpt ?? 'not loaded: go to it';
  return h(
    'button',
    {
      class: 'entry__quote',
      attrs: { type: 'button', 'data-reply-to': reply.id, tabindex: -1, 'aria-label': `In reply to ${who}: ${excerpt}. Go to the message.` },
    },
    [h('span', { class: 'entry__quote-from' }, [who]), h('span', { class: 'entry__quote-text' }, [excerpt])],
  );
}

/** Reactions: one toggle per emoji, pressed when yours is among them, naming who reacted. */
export function renderReactions(reactions: readonly ReactionView[] | undefined, self: string | undefined): HTMLElement | null {
  if (reactions === undefined || reactions.length === 0) return null;
  return h(
    'div',
    { class: 'entry__reactions', attrs: { role: 'group', 'aria-label': 'Reactions' } },
    reactions.map((reaction) => {
      const mine = self !== undefined && reaction.from.includes(self);
      const who = reaction.from.join(', ');
      return h(
        'button',
        {
          class: mine ? 'reaction reaction--mine' : 'reaction',
          attrs: {
            type: 'button',
            tabindex: -1,
            'data-emoji': reaction.emoji,
            'aria-pressed': String(mine),
            title: who,
            'aria-label': `${reaction.emoji} ${reaction.from.length}: ${who}. ${mine ? 'Remove yours' : 'Add yours'}`,
          },
        },
        [h('span', { class: 'reaction__emoji', attrs: { 'aria-hidden': 'true' } }, [reaction.emoji]), h('span', { class: 'reaction__count', attrs: { 'aria-hidden': 'true' } }, [String(reaction.from.length)])],
      );
    }),
  );
}

/** "(edited)", with when in its title. */
export function renderEdited(entry: MessageEntry): HTMLElement | null {
  if (entry.editedAt === undefined || entry.deleted === true) return null;
  return h('span', { class: 'entry__edited', attrs: { title: `Edited ${formatFullDate(entry.editedAt)}` } }, ['(edited)']);
}

export function renderDeleted(): HTMLElement {
  return h('div', { class: 'entry__deleted' }, ['This message was deleted.']);
}

function actionButton(kind: string, label: string): HTMLButtonElement {
  return h('button', { class: `entry__action entry__action--${kind}`, attrs: { type: 'button', tabindex: -1, title: label, 'data-action': kind } }, [label]);
}

/** The row's actions: Reply and React on any message, Edit (texts, not snippets) and Delete on your own; none once deleted. */
export function renderActions(entry: MessageEntry): HTMLElement | null {
  if (entry.deleted === true) return null;
  const buttons = [actionButton('reply', 'Reply'), actionButton('react', 'React')];
  // A snippet's code is the lines of a file as they were: it is not edited in the composer.
  if (entry.own && entry.kind === 'text' && entry.snippet === undefined) buttons.push(actionButton('edit', 'Edit'));
  if (entry.own) buttons.push(actionButton('delete', 'Delete'));
  return h('div', { class: 'entry__actions', attrs: { role: 'toolbar', 'aria-label': `Actions on the message from ${entry.own ? 'you' : entry.from}` } }, buttons);
}

/** The emoji picker React opens: one button per emoji, arrows to move, Escape to close. */
export function renderPicker(): HTMLElement {
  return h(
    'div',
    { class: 'reaction-picker', attrs: { role: 'toolbar', 'aria-label': 'Add a reaction' } },
    QUICK_REACTIONS.map((emoji, index) =>
      h('button', { class: 'reaction-picker__emoji', attrs: { type: 'button', 'data-emoji': emoji, tabindex: index === 0 ? 0 : -1, 'aria-label': `React with ${emoji}` } }, [emoji]),
    ),
  );
}
