import assert from 'node:assert/strict';
import type { ChatClient, ChatClientEvents, ChatText } from '../../../src/client/client';
import type { StoredEntry } from '../../../src/extension/conversation-history';
import { excerptOf } from '../../../src/extension/conversation-tools';
import { received, toHistory, toStored } from '../../../src/extension/history-entries';
import { wireIncoming } from '../../../src/extension/incoming';
import { PanelState } from '../../../src/extension/panel-state';
import type { SessionImages } from '../../../src/extension/session-images';
import type { SnippetMeta } from '../../../src/shared/snippet';
import { TypedEmitter } from '../../../src/util/typed-emitter';

const META: SnippetMeta = { path: 'src/a.ts', startLine: 10, endLine: 24, language: 'typescript', repo: { branch: 'main' } };
const CODE = '@carol.decorate()\nclass A {}';

class FakeClient extends TypedEmitter<ChatClientEvents> {
  fire<E extends keyof ChatClientEvents & string>(event: E, ...args: ChatClientEvents[E]): void {
    this.emit(event, ...args);
  }
}

const snippetText = (id: string): ChatText => ({ id, from: 'alice', fromId: 3, text: CODE, sentAt: 5, encrypted: true, legacy: false, snippet: META });

/** The way a snippet goes from the client's event to the panel's entry and the local history, and back. */
describe('extension: snippet entries', () => {
  it('shows a received snippet with its location, and finds no mention of anyone in its code', () => {
    const client = new FakeClient();
    const panel = new PanelState({ imageSrc: () => undefined, post: () => {}, onDropped: () => {} });
    wireIncoming(client as unknown as ChatClient, {
      panel,
      images: {} as SessionImages,
      maxReceivedPixels: () => 50_000_000,
      members: () => [{ id: 1, name: 'carol', legacy: false, self: true }],
      post: () => {},
      notify: () => {},
      self: () => 'carol',
      replyView: (id) => ({ id }),
    });
    client.fire('message', snippetText('5f0c2a1e00000009'));
    const entry = panel.message('5f0c2a1e00000009');
    assert.ok(entry?.kind === 'text');
    assert.deepEqual([entry.text, entry.snippet, entry.mentions], [CODE, META, undefined]);
  });

  it('keeps the snippet in the local history form and reads it back', () => {
    const entry = received(snippetText('5f0c2a1e00000009'), undefined);
    const history = toHistory(entry, 4);
    assert.deepEqual(history.kind === 'text' ? [history.text, history.snippet] : [], [CODE, META]);
    const back = toStored(history);
    assert.deepEqual(back.kind === 'text' ? [back.text, back.snippet] : [], [CODE, META]);
  });

  it('keeps a plain text without a snippet field', () => {
    const history = toHistory({ kind: 'text', id: 'b1', from: 'bob', own: false, text: 'hi', sentAt: 1, legacy: false, encrypted: false }, undefined);
    assert.equal('snippet' in history, false);
    assert.equal('snippet' in toStored(history), false);
  });

  it('quotes a snippet in a reply by where it came from, not by its code', () => {
    const entry: StoredEntry = { kind: 'text', id: 'b1', from: 'alice', own: false, text: CODE, sentAt: 1, legacy: false, encrypted: false, snippet: META };
    assert.equal(excerptOf(entry), 'src/a.ts:L10–L24');
    assert.equal(excerptOf({ ...entry, snippet: { ...META, endLine: 10 } }), 'src/a.ts:L10');
    assert.equal(excerptOf({ ...entry, deleted: true }), 'deleted message');
  });
});
