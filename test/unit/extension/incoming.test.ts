import assert from 'node:assert/strict';
import type { ChatClient, ChatClientEvents, ChatText } from '../../../src/client/client';
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

function wired() {
  const client = new FakeClient();
  const panel = new PanelState({ imageSrc: () => undefined, post: () => {}, onDropped: () => {} });
  wireIncoming(client as unknown as ChatClient, {
    panel,
    images: {} as SessionImages,
    maxReceivedPixels: () => 50_000_000,
    members: () => [],
    post: () => {},
    notify: () => {},
  });
  return { client, panel };
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
});
