import assert from 'node:assert/strict';
import { ActionLedger } from '../../../src/client/actions';
import { ChatClient, ChatClientError } from '../../../src/client/client';
import { composeDelete, composeEdit } from '../../../src/client/compose';
import { composeSnippet, snippetBytes } from '../../../src/client/snippets';
import { PacketType } from '../../../src/protocol/types';
import type { SnippetMeta } from '../../../src/shared/snippet';

const META: SnippetMeta = { path: 'src/a.ts', startLine: 10, endLine: 24, language: 'typescript' };
const CONTEXT = { sender: 'ann', sentAt: 500, maxTextBytes: 16 * 1024 };

function refusal(run: () => unknown): ChatClientError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ChatClientError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

describe('client/snippets', () => {
  it('makes a text of kind snippet whose text is the code', () => {
    assert.deepEqual(composeSnippet(META, 'let x = 1;', CONTEXT), { type: PacketType.Text, sentAt: 500, sender: 'ann', text: 'let x = 1;', kind: { kind: 'snippet', meta: META } });
  });

  it('carries only the fields of a snippet, and no repo when it names nothing', () => {
    const loose = { ...META, repo: {}, secret: 'x' } as SnippetMeta;
    const payload = composeSnippet(loose, 'x', CONTEXT);
    assert.deepEqual(payload.kind, { kind: 'snippet', meta: META });
  });

  it('refuses a location the wire would refuse, saying why', () => {
    for (const meta of [{ ...META, path: '../x' }, { ...META, path: '/abs' }, { ...META, startLine: 0 }, { ...META, endLine: 9 }, { ...META, repo: { commit: 'abc' } }]) {
      const error = refusal(() => composeSnippet(meta, 'x', CONTEXT));
      assert.equal(error.code, 'invalid-snippet', JSON.stringify(meta));
      assert.match(error.message, /cannot be sent: it has /);
    }
  });

  it('refuses a snippet without code', () => {
    assert.equal(refusal(() => composeSnippet(META, '', CONTEXT)).code, 'empty');
  });

  it('counts the code and the location against the text limit', () => {
    const fits = 'x'.repeat(CONTEXT.maxTextBytes - snippetBytes(META, ''));
    assert.equal(composeSnippet(META, fits, CONTEXT).text, fits);
    assert.equal(refusal(() => composeSnippet(META, `${fits}x`, CONTEXT)).code, 'too-large');
  });

  it('says how big a snippet that is too large is, and the limit, in KB', () => {
    const error = refusal(() => composeSnippet(META, 'é'.repeat(10_000), CONTEXT));
    assert.equal(error.code, 'too-large');
    // 20,000 bytes of code and 25 of location: 19.6 KB, rounded up.
    assert.equal(error.message, 'the snippet is 19.6 KB; the relay accepts at most 16 KB (share fewer lines)');
  });

  it('never says a snippet just over the limit is as big as the limit', () => {
    const over = 'x'.repeat(CONTEXT.maxTextBytes - snippetBytes(META, '') + 1);
    assert.match(refusal(() => composeSnippet(META, over, CONTEXT)).message, /is 16\.1 KB; the relay accepts at most 16 KB/);
  });

  it('refuses an edit of a snippet of ours, and lets us delete it', () => {
    const ledger = new ActionLedger(() => {});
    ledger.message('000000000000002a', 'n:ann', 'snippet');
    const context = { ...CONTEXT, ownership: (id: string) => ledger.ownership(id, 'n:ann') };
    assert.equal(ledger.ownership('000000000000002a', 'n:ann'), 'snippet');
    assert.equal(refusal(() => composeEdit('000000000000002a', 'new code', context)).code, 'not-editable');
    assert.deepEqual(composeDelete('000000000000002a', context).kind, { kind: 'delete', target: 0x2an });
  });

  it("ignores someone's edit of their own snippet, counted as malformed", () => {
    const logged: string[] = [];
    const ledger = new ActionLedger((level, message) => logged.push(`${level}: ${message}`));
    ledger.message('000000000000002a', 'n:bob', 'snippet');
    const edit = { what: { kind: 'edit' as const, target: 0x2an }, id: '000000000000002b', from: 'bob', fromId: 2, senderKey: 'n:bob', sentAt: 9, text: 'changed' };
    assert.deepEqual(ledger.action(edit), []);
    assert.equal(ledger.ignored.malformed, 1);
    assert.match(logged.join('\n'), /ignored an edit of snippet 000000000000002a/);
  });

  describe('ChatClient.sendSnippet', () => {
    let client: ChatClient | undefined;
    afterEach(() => client?.close());

    it('throws too-large with the size and the limit in KB, before anything is queued', () => {
      client = new ChatClient({ relayHost: '127.0.0.1', relayPort: 9, name: 'ann' });
      const error = refusal(() => client!.sendSnippet(META, 'x'.repeat(20 * 1024)));
      assert.equal(error.code, 'too-large');
      assert.match(error.message, /^the snippet is 20\.1 KB; the relay accepts at most 16 KB/);
      assert.deepEqual(client.pending(), []);
    });

    it('queues a snippet that fits, under the id it returns', () => {
      client = new ChatClient({ relayHost: '127.0.0.1', relayPort: 9, name: 'ann' });
      const id = client.sendSnippet(META, 'let x = 1;');
      assert.deepEqual(client.pending().map((update) => update.id), [id]);
    });
  });
});
