import assert from 'node:assert/strict';
import type { Ownership } from '../../../src/client/actions';
import { composeDelete, composeEdit, composeReaction, composeReply, type ComposeContext } from '../../../src/client/compose';
import { ChatClientError } from '../../../src/client/errors';
import { PacketType } from '../../../src/protocol/types';

const ID = '000000000000002a';

function context(ownership: Ownership = 'own', maxTextBytes = 100): ComposeContext {
  return { sender: 'ann', sentAt: 500, maxTextBytes, ownership: () => ownership };
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ChatClientError, String(error));
    return error.code;
  }
  assert.fail('expected a refusal');
}

describe('client/compose', () => {
  it('makes a reply, a reaction, an edit and a delete about the message id given', () => {
    const base = { type: PacketType.Text, sentAt: 500, sender: 'ann' };
    assert.deepEqual(composeReply(ID, 'yes', context('unknown')), { ...base, text: 'yes', kind: { kind: 'reply', target: 0x2an } });
    assert.deepEqual(composeReaction(ID, '👍', false, context('not-own')), { ...base, text: '', kind: { kind: 'reaction', target: 0x2an, emoji: '👍', on: false } });
    assert.deepEqual(composeEdit(ID, 'fixed', context()), { ...base, text: 'fixed', kind: { kind: 'edit', target: 0x2an } });
    assert.deepEqual(composeDelete(ID, context('image')), { ...base, text: '', kind: { kind: 'delete', target: 0x2an } });
  });

  it("refuses to edit or delete someone else's message, an unknown one or a deleted one", () => {
    for (const [ownership, code] of [['not-own', 'not-own'], ['unknown', 'unknown-message'], ['deleted', 'deleted']] as const) {
      assert.equal(refusal(() => composeEdit(ID, 'x', context(ownership))), code);
      assert.equal(refusal(() => composeDelete(ID, context(ownership))), code);
    }
    assert.equal(refusal(() => composeEdit(ID, 'x', context('image'))), 'not-editable');
  });

  it('refuses what is not a message id', () => {
    for (const id of ['', 'xyz', '0', '00000000000000000', '-1']) assert.equal(refusal(() => composeReply(id, 'x', context())), 'invalid-id');
  });

  it('refuses a reaction that is not one emoji', () => {
    assert.equal(refusal(() => composeReaction(ID, 'ok', true, context())), 'invalid-emoji');
  });

  it('refuses an empty or too long reply or edit, as texts are', () => {
    assert.equal(refusal(() => composeReply(ID, '', context())), 'empty');
    assert.equal(refusal(() => composeEdit(ID, 'é'.repeat(51), context('own', 100))), 'too-large');
  });
});
