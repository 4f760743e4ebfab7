/**
 * A run of plain message text with its `@name` mentions marked (a mention of you apart): text nodes and spans
 * only. Shared by the plain path of a message (entry-extras.ts) and the text runs of its Markdown (markdown.ts).
 */
import { findMentions } from '../src/shared/mentions';
import { h, type Child } from './dom';

/** `text` with its mentions of `mentions` marked (a mention of `self` apart). */
export function withMentions(text: string, mentions: readonly string[], self: string | undefined): Child[] {
  const ranges = findMentions(text, mentions);
  if (ranges.length === 0) return [text];
  const parts: Child[] = [];
  let last = 0;
  const me = self?.toLowerCase();
  for (const range of ranges) {
    if (range.start > last) parts.push(text.slice(last, range.start));
    const mine = range.name.toLowerCase() === me;
    parts.push(h('span', { class: mine ? 'mention mention--me' : 'mention', attrs: { 'data-mention': range.name } }, [text.slice(range.start, range.end)]));
    last = range.end;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}
