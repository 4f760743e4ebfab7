import assert from 'node:assert/strict';
import { MemoryHistoryStore } from '../../src/history/memory-store';
import type { SnippetMeta } from '../../src/shared/snippet';
import { closeAll, joinClient, newClient, shownTexts, startRelay } from '../support/chat';
import { nextEvent, until } from '../support/events';

const PASSPHRASE = 'snippets under the sea';
const META: SnippetMeta = {
  path: 'src/a.ts',
  startLine: 10,
  endLine: 12,
  language: 'typescript',
  repo: { remote: 'https://example.com/team/app.git', branch: 'main', commit: 'c0ffee'.padEnd(40, '0') },
};
/** `@bob` in code is code: a snippet mentions nobody. */
const CODE = '// @bob: the answer\nexport function answer(): number {\n  return 42;\n}';

/** Snippets between library clients through a real relay: delivered, answered, not edited, kept in its history. */
describe('chat: code snippets (real sockets)', function () {
  // Sealed rooms derive their keys with scrypt (~0.5 s, shared per passphrase, room and salt).
  this.timeout(30_000);
  afterEach(() => closeAll());

  it('arrives in a sealed room as a text with its code and its location', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice', { passphrase: PASSPHRASE });
    const bob = await joinClient(relay, 'bob', { passphrase: PASSPHRASE });
    const arrived = nextEvent(bob, 'message');
    const id = alice.sendSnippet(META, CODE);
    const [message] = await arrived;
    assert.deepEqual(message, { id, from: 'alice', fromId: alice.memberId, sentAt: message.sentAt, encrypted: true, legacy: false, text: CODE, snippet: META });
  });

  it('takes replies, reactions and a delete, but no edit', async () => {
    const relay = await startRelay();
    const alice = await joinClient(relay, 'alice');
    const bob = await joinClient(relay, 'bob');
    const arrived = nextEvent(bob, 'message');
    const id = alice.sendSnippet(META, CODE);
    await arrived;
    assert.throws(() => alice.editMessage(id, 'other code'), { code: 'not-editable' });
    const reply = nextEvent(alice, 'message', (message) => message.replyTo === id);
    bob.sendReply(id, 'why 42?');
    assert.equal((await reply)[0].text, 'why 42?');
    const reaction = nextEvent(alice, 'reaction');
    bob.react(id, '👀');
    assert.deepEqual((await reaction)[0], { id, from: 'bob', fromId: bob.memberId, emoji: '👀', on: true });
    const deleted = nextEvent(bob, 'delete');
    alice.deleteMessage(id);
    assert.equal((await deleted)[0].id, id);
  });

  it("comes back from the relay's history in a backlog page with its location", async () => {
    const relay = await startRelay({ history: { store: new MemoryHistoryStore() } });
    const alice = await joinClient(relay, 'alice', { passphrase: PASSPHRASE });
    const id = alice.sendSnippet(META, CODE);
    await until(() => alice.pending().length === 0, 'the snippet to reach the relay');
    const carol = newClient(relay, 'carol', { passphrase: PASSPHRASE, history: { initial: 10 } });
    const shown = shownTexts(carol);
    const ended = nextEvent(carol, 'backlog-end');
    await carol.connect();
    await ended;
    assert.deepEqual(
      shown.map((message) => [message.id, message.text, message.snippet, message.backlog, message.encrypted]),
      [[id, CODE, META, true, true]],
    );
  });
});
