import assert from 'node:assert/strict';
import type { ChatClient, ChatClientEvents, ChatText } from '../../../src/client/client';
import type { IncomingNotice } from '../../../src/extension/chat-session';
import { wireIncoming } from '../../../src/extension/incoming';
import { PanelState } from '../../../src/extension/panel-state';
import type { SessionImages } from '../../../src/extension/session-images';
import { TypedEmitter } from '../../../src/util/typed-emitter';

/** Only the events: wireIncoming listens and never calls the client. */
class FakeClient extends TypedEmitter<ChatClientEvents> {
  fire<E extends keyof ChatClientEvents & string>(event: E, ...args: ChatClientEvents[E]): void {
    this.emit(event, ...args);
  }
}

function text(fromId: number, from: string, id: string, body: string): ChatText {
  return { id, from, fromId, text: body, sentAt: 0, encrypted: true, legacy: false };
}

function wired(memberNames: string[] = []) {
  const client = new FakeClient();
  const panel = new PanelState({ imageSrc: () => undefined, post: () => {}, onDropped: () => {} });
  const notices: IncomingNotice[] = [];
  wireIncoming(client as unknown as ChatClient, {
    panel,
    images: {} as SessionImages,
    maxReceivedPixels: () => 50_000_000,
    members: () => memberNames.map((name, index) => ({ id: index + 1, name, legacy: false, self: name === 'carol' })),
    post: () => {},
    notify: (notice) => notices.push(notice),
    self: () => 'carol',
    replyView: (id) => ({ id, from: panel.message(id)?.from, excerpt: 'quoted' }),
  });
  return { client, panel, notices };
}

describe('extension/incoming', () => {
  it('shows two members\' messages that carry the same message id, each under its sender', () => {
    // Message ids are chosen by senders: a member who reuses another's next id must not hide the real message.
    const { client, panel } = wired();
    client.fire('message', text(7, 'mallory', '5f0c2a1e00000002', 'as myself'));
    client.fire('message', text(3, 'alice', '5f0c2a1e00000002', 'third'));
    const shown = panel.entries().flatMap((entry) => (entry.kind === 'text' ? [`${entry.from}: ${entry.text}`] : []));
    assert.deepEqual(shown, ['mallory: as myself', 'alice: third']);
  });

  it('shows a repeat of the same sender\'s message once', () => {
    const { client, panel } = wired();
    client.fire('message', text(3, 'alice', '5f0c2a1e00000002', 'third'));
    client.fire('message', text(3, 'alice', '5f0c2a1e00000002', 'third'));
    assert.equal(panel.entries().filter((entry) => entry.kind === 'text').length, 1);
  });

  it('finds the mentions of members in a text without a mentions field, and says when one is of you', () => {
    const { client, panel, notices } = wired(['alice', 'carol', 'Ann Lee']);
    client.fire('message', text(3, 'alice', '5f0c2a1e00000003', 'ping @Carol and @ann lee, not x@alice'));
    const entry = panel.message('5f0c2a1e00000003');
    assert.deepEqual(entry?.mentions, ['carol', 'Ann Lee']);
    assert.deepEqual(notices, [{ id: '5f0c2a1e00000003', from: 'alice', text: 'ping @Carol and @ann lee, not x@alice', mentionsMe: true }]);
  });

  it('takes the mentions the client gives over the text, and a message without any mentions nobody', () => {
    const { client, panel, notices } = wired(['alice', 'carol']);
    client.fire('message', { ...text(3, 'alice', '5f0c2a1e00000004', 'hello'), mentions: ['carol'] } as ChatText);
    client.fire('message', text(3, 'alice', '5f0c2a1e00000005', 'hello @bob'));
    assert.deepEqual(panel.message('5f0c2a1e00000004')?.mentions, ['carol']);
    assert.equal(panel.message('5f0c2a1e00000005')?.mentions, undefined);
    assert.deepEqual(notices.map((notice) => notice.mentionsMe), [true, false]);
  });

  it('shows a reply with the quote of the message it answers', () => {
    const { client, panel } = wired(['alice']);
    client.fire('message', text(3, 'alice', '5f0c2a1e00000006', 'the question'));
    client.fire('message', { ...text(3, 'alice', '5f0c2a1e00000007', 'the answer'), replyTo: '5f0c2a1e00000006' } as ChatText);
    assert.deepEqual(panel.message('5f0c2a1e00000007')?.replyTo, { id: '5f0c2a1e00000006', from: 'alice', excerpt: 'quoted' });
  });
});
