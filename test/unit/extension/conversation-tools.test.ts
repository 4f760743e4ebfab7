import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ChatClient } from '../../../src/client/client';
import { ConversationTools, excerptOf, toggled } from '../../../src/extension/conversation-tools';
import { PanelState } from '../../../src/extension/panel-state';

/** A client with only an emitter: the tools listen to it (the events of api12: reaction, edit, delete, typing). */
function wired() {
  const client = new EventEmitter();
  const panel = new PanelState({ imageSrc: () => undefined, post: () => {}, onDropped: () => {} });
  const typing: string[][] = [];
  const tools = new ConversationTools({ panel, memberNames: () => ['alice', 'bob', 'carol'], typingChanged: (names) => typing.push(names) });
  tools.wire(client as unknown as ChatClient);
  panel.add({ kind: 'text', id: 'a1', from: 'alice', own: false, text: 'original', sentAt: 1, legacy: false, encrypted: false });
  return { client, panel, tools, typing };
}

describe('extension/conversation-tools', () => {
  it("applies the sender's own edit, with the mentions of the new text", () => {
    const { client, panel } = wired();
    client.emit('edit', { id: 'a1', from: 'alice', text: 'fixed, @bob', editedAt: 5 });
    const entry = panel.message('a1');
    assert.equal(entry?.kind === 'text' ? entry.text : undefined, 'fixed, @bob');
    assert.equal(entry?.editedAt, 5);
    assert.deepEqual(entry?.mentions, ['bob']);
  });

  it("ignores an edit or a delete of someone else's message", () => {
    const { client, panel } = wired();
    client.emit('edit', { id: 'a1', from: 'mallory', text: 'forged', editedAt: 5 });
    client.emit('delete', { id: 'a1', from: 'mallory' });
    const entry = panel.message('a1');
    assert.equal(entry?.kind === 'text' ? entry.text : undefined, 'original');
    assert.equal(entry?.deleted, undefined);
  });

  it("a delete by the sender empties the message and its reactions; a later edit changes nothing", () => {
    const { client, panel } = wired();
    client.emit('reaction', { id: 'a1', from: 'bob', emoji: '👍', on: true });
    client.emit('delete', { id: 'a1', from: 'alice' });
    client.emit('edit', { id: 'a1', from: 'alice', text: 'back', editedAt: 9 });
    const entry = panel.message('a1');
    assert.equal(entry?.deleted, true);
    assert.equal(entry?.kind === 'text' ? entry.text : undefined, '');
    assert.equal(entry?.reactions, undefined);
    assert.equal(excerptOf(entry), 'deleted message');
  });

  it('keeps who reacted with which emoji, in order, and drops an emoji nobody has left', () => {
    const { client, panel } = wired();
    client.emit('reaction', { id: 'a1', from: 'bob', emoji: '👍', on: true });
    client.emit('reaction', { id: 'a1', from: 'carol', emoji: '👍', on: true });
    client.emit('reaction', { id: 'a1', from: 'carol', emoji: '🎉', on: true });
    client.emit('reaction', { id: 'a1', from: 'carol', emoji: '🎉', on: false });
    assert.deepEqual(panel.message('a1')?.reactions, [{ emoji: '👍', from: ['bob', 'carol'] }]);
    assert.equal(toggled([{ emoji: '👍', from: ['bob'] }], 'bob', '👍', false), undefined);
  });

  it('shows a member typing and no longer once their message arrives', () => {
    const { client, tools, typing } = wired();
    client.emit('typing', { from: 'bob' });
    assert.deepEqual(tools.typingNames(), ['bob']);
    client.emit('message', { id: 'b1', from: 'bob', text: 'done' });
    assert.deepEqual(typing, [['bob'], []]);
    tools.reset();
  });

  it('quotes a held message by its first line, and knows only the id of one not held', () => {
    const { tools } = wired();
    assert.deepEqual(tools.replyView('a1'), { id: 'a1', from: 'alice', excerpt: 'original' });
    assert.deepEqual(tools.replyView('ffff000000000000'), { id: 'ffff000000000000' });
  });
});
