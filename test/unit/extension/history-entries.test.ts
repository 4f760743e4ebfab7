import assert from 'node:assert/strict';
import type { StoredEntry } from '../../../src/extension/conversation-history';
import { withQuotes } from '../../../src/extension/conversation-tools';
import { toHistory, toStored } from '../../../src/extension/history-entries';

const message = (id: string, text: string, extra: Partial<StoredEntry> = {}): StoredEntry =>
  ({ kind: 'text', id, from: 'bob', own: false, text, sentAt: 1, legacy: false, encrypted: false, ...extra }) as StoredEntry;

describe('extension/history-entries', () => {
  it('keeps a reply, an edit and a delete in the local history and reads them back', () => {
    const stored = toHistory(message('b2', 'fixed', { replyTo: { id: 'b1', from: 'bob', excerpt: 'q' }, editedAt: 7 }), 3);
    assert.equal(stored.kind === 'text' ? stored.replyTo : undefined, 'b1');
    assert.equal(stored.kind === 'text' ? stored.editedAt : undefined, 7);
    assert.equal(stored.kind, 'text');
    const back = toStored(stored.kind === 'text' ? { ...stored, reactions: [{ emoji: '👍', from: ['ann'] }] } : stored);
    assert.deepEqual(back.kind === 'text' ? [back.replyTo, back.editedAt, back.reactions] : [], [{ id: 'b1' }, 7, [{ emoji: '👍', from: ['ann'] }]]);
    const deleted = toStored(toHistory(message('b3', '', { deleted: true }), undefined));
    assert.equal(deleted.kind === 'text' ? deleted.deleted : undefined, true);
  });

  it('fills in the quote of a reply read back from the history from the original shown with it', () => {
    const [original, reply, orphan] = withQuotes([message('b1', 'the question'), message('b2', 'the answer', { replyTo: { id: 'b1' } }), message('b3', 'old', { replyTo: { id: 'zz' } })]);
    assert.equal(original?.kind === 'text' ? original.replyTo : 'x', undefined);
    assert.deepEqual(reply?.kind === 'text' ? reply.replyTo : undefined, { id: 'b1', from: 'bob', excerpt: 'the question' });
    assert.deepEqual(orphan?.kind === 'text' ? orphan.replyTo : undefined, { id: 'zz' });
  });
});
