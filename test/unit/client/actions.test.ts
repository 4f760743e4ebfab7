import assert from 'node:assert/strict';
import { ActionLedger, type LedgerEvent } from '../../../src/client/actions';
import type { InboundAction } from '../../../src/client/inbound';

const ALICE = 'n:alice';
const MALLORY = 'n:mallory';
const ID = '000000000000002a';
const TARGET = 0x2an;

function action(what: InboundAction['what'], sender = ALICE, text = ''): InboundAction {
  const from = sender.slice(2);
  return { what, id: '00000000000000ff', from, fromId: from === 'alice' ? 1 : 66, senderKey: sender, sentAt: 500, text };
}

const edit = (sender = ALICE, text = 'edited'): InboundAction => action({ kind: 'edit', target: TARGET }, sender, text);
const remove = (sender = ALICE): InboundAction => action({ kind: 'delete', target: TARGET }, sender);
const react = (on: boolean, sender = MALLORY, emoji = '👍'): InboundAction => action({ kind: 'reaction', target: TARGET, emoji, on }, sender);

const kinds = (events: LedgerEvent[]): string[] => events.map((event) => event.kind);

function ledger(): { ledger: ActionLedger; logged: string[] } {
  const logged: string[] = [];
  return { ledger: new ActionLedger((_level, message) => logged.push(message)), logged };
}

describe('client/actions', () => {
  it("applies an edit from the message's sender", () => {
    const { ledger: book } = ledger();
    book.message(ID, ALICE, 'text');
    assert.deepEqual(book.action(edit()), [{ kind: 'edit', edit: { id: ID, from: 'alice', fromId: 1, text: 'edited', editedAt: 500 } }]);
  });

  it('drops and counts an edit or a delete from anyone else, and says so in the log', () => {
    const { ledger: book, logged } = ledger();
    book.message(ID, ALICE, 'text');
    assert.deepEqual(book.action(edit(MALLORY)), []);
    assert.deepEqual(book.action(remove(MALLORY)), []);
    assert.equal(book.ignored.notOwn, 2);
    assert.match(logged.join('\n'), /ignored an edit of message 000000000000002a from mallory, who did not send it/);
    // Alice's own edit still applies: the forgeries changed nothing.
    assert.deepEqual(kinds(book.action(edit())), ['edit']);
  });

  it('keeps the first sender of an id: a later message claiming the same id does not make it another member\'s', () => {
    const { ledger: book } = ledger();
    book.message(ID, ALICE, 'text');
    book.message(ID, MALLORY, 'text');
    assert.deepEqual(book.action(edit(MALLORY)), []);
    assert.deepEqual(kinds(book.action(edit())), ['edit']);
  });

  it('applies nothing more to a deleted message', () => {
    const { ledger: book } = ledger();
    book.message(ID, ALICE, 'text');
    assert.deepEqual(book.action(remove()), [{ kind: 'delete', deletion: { id: ID, from: 'alice', fromId: 1, deletedAt: 500 } }]);
    assert.deepEqual(book.action(edit()), []);
    assert.deepEqual(book.action(react(true)), []);
    assert.equal(book.ownership(ID, ALICE), 'deleted');
  });

  it('ignores an edit of an image, counted as malformed, and lets its sender delete it', () => {
    const { ledger: book } = ledger();
    book.message(ID, ALICE, 'image');
    assert.deepEqual(book.action(edit()), []);
    assert.equal(book.ignored.malformed, 1);
    assert.deepEqual(kinds(book.action(remove())), ['delete']);
  });

  it("passes anyone's reaction on, on and off, and remembers it per member and emoji", () => {
    const { ledger: book } = ledger();
    book.message(ID, ALICE, 'text');
    assert.deepEqual(book.action(react(true)), [{ kind: 'reaction', reaction: { id: ID, from: 'mallory', fromId: 66, emoji: '👍', on: true } }]);
    assert.equal(book.reacted(ID, MALLORY, '👍'), true);
    assert.equal(book.reacted(ID, ALICE, '👍'), false);
    assert.equal(book.reacted(ID, MALLORY, '🎉'), false);
    book.action(react(false));
    assert.equal(book.reacted(ID, MALLORY, '👍'), false);
  });

  it('toggles our own reaction: on, then off, then on', () => {
    const { ledger: book } = ledger();
    assert.deepEqual([book.toggle(ID, ALICE, '👍'), book.toggle(ID, ALICE, '👍'), book.toggle(ID, ALICE, '👍')], [true, false, true]);
    assert.equal(book.toggle(ID, ALICE, '🎉'), true, 'another emoji is another reaction');
  });

  it('holds an action that came before its message and applies it right after, checked like the rest', () => {
    const { ledger: book } = ledger();
    assert.deepEqual(book.action(edit()), []);
    assert.deepEqual(book.action(edit(MALLORY, 'forged')), []);
    assert.deepEqual(book.action(react(true)), []);
    const released = book.message(ID, ALICE, 'text');
    assert.deepEqual(kinds(released), ['edit', 'reaction']);
    assert.equal(book.ignored.notOwn, 1);
    assert.deepEqual(book.message('000000000000002b', ALICE, 'text'), [], 'what was held is applied once');
  });

  it('forgets the oldest held action beyond 256, counted', () => {
    const { ledger: book } = ledger();
    for (let index = 0; index < 300; index++) book.action(action({ kind: 'delete', target: BigInt(1000 + index) }));
    assert.equal(book.ignored.unknownTarget, 44);
    assert.deepEqual(book.message((1000).toString(16).padStart(16, '0'), ALICE, 'text'), [], 'the oldest was forgotten');
    assert.deepEqual(kinds(book.message((1299).toString(16).padStart(16, '0'), ALICE, 'text')), ['delete']);
  });

  it('bounds what it holds in bytes too: long edits push the oldest out', () => {
    const { ledger: book } = ledger();
    const long = 'x'.repeat(200_000); // 400 kB each as UTF-16
    for (let index = 0; index < 4; index++) book.action(action({ kind: 'edit', target: BigInt(2000 + index) }, ALICE, long));
    assert.equal(book.ignored.unknownTarget, 2);
  });

  it('ignores and counts a kind this version does not know', () => {
    const { ledger: book } = ledger();
    book.message(ID, ALICE, 'text');
    assert.deepEqual(book.action(action({ kind: 'unknown', code: 0x7f })), []);
    assert.equal(book.ignored.unknownKind, 1);
  });

  it('tells our own messages from others, unknown and deleted ones', () => {
    const { ledger: book } = ledger();
    book.message(ID, ALICE, 'text');
    assert.equal(book.ownership(ID, ALICE), 'own');
    assert.equal(book.ownership(ID, MALLORY), 'not-own');
    assert.equal(book.ownership('0000000000000001', ALICE), 'unknown');
    book.deletedOwn(ID);
    assert.equal(book.ownership(ID, ALICE), 'deleted');
  });
});
