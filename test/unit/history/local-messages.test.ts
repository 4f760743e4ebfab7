import assert from 'node:assert/strict';
import { isWorkerRequest } from '../../../src/history/local-messages';

const KEY = '127.0.0.1:12345/general';
const asked = (request: Record<string, unknown>): boolean => isWorkerRequest({ id: 1, request: { key: KEY, ...request } });

describe('history/local-messages', () => {
  it('lets an edit, a delete and a reaction through to the worker', () => {
    assert.equal(asked({ op: 'edit', from: 'bob', messageId: 'ab', text: 'new', editedAt: 5 }), true);
    assert.equal(asked({ op: 'remove', from: 'bob', messageId: 'ab' }), true);
    assert.equal(asked({ op: 'react', from: 'bob', messageId: 'ab', emoji: '👍', on: false }), true);
  });

  it('refuses an edit, delete or reaction missing a field or with one of the wrong type', () => {
    assert.equal(asked({ op: 'edit', from: 'bob', messageId: 'ab', text: 'new' }), false);
    assert.equal(asked({ op: 'remove', messageId: 'ab' }), false);
    assert.equal(asked({ op: 'react', from: 'bob', messageId: 'ab', emoji: '👍', on: 'yes' }), false);
  });

  it('refuses a reaction longer than one emoji can be', () => {
    assert.equal(asked({ op: 'react', from: 'bob', messageId: 'ab', emoji: 'x'.repeat(33), on: true }), false);
  });

  it('refuses an entry whose reply, edit time or deleted mark is of the wrong type', () => {
    const entry = { kind: 'text', id: 'ab', messageId: 'ab', from: 'bob', own: false, text: 'hi', sentAt: 1, legacy: false, encrypted: false, delivered: true };
    const append = (extra: Record<string, unknown>): boolean => asked({ op: 'append', entries: [{ ...entry, ...extra }], now: 1, retention: { maxEntries: 1, maxAgeMs: 1, maxBytes: 1 } });
    assert.equal(append({ replyTo: 'cd', editedAt: 2, deleted: true }), true);
    assert.equal(append({ replyTo: 7 }), false);
    assert.equal(append({ editedAt: 'now' }), false);
    assert.equal(append({ deleted: 1 }), false);
  });
});
