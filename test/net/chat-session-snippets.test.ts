import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClientError, type ChatText } from '../../src/client/client';
import { ChatSession, type IncomingNotice } from '../../src/extension/chat-session';
import { ImageCompressor } from '../../src/image';
import { isHostMessage, type EntryView, type HostMessage } from '../../src/shared/panel-messages';
import type { SnippetMeta } from '../../src/shared/snippet';
import { closeAll, joinClient, startRelay } from '../support/chat';
import { until } from '../support/events';

const META: SnippetMeta = {
  path: 'src/a.ts',
  startLine: 10,
  endLine: 12,
  language: 'typescript',
  repo: { remote: 'https://github.com/team/app.git', branch: 'main', commit: 'a'.repeat(40) },
};
const CODE = 'const a = 1;\nconst b = <b>2</b>;\nexport { a, b };';

describe('ChatSession snippets', () => {
  let saveDir = '';
  const sessions: ChatSession[] = [];

  beforeEach(() => {
    saveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-snippets-'));
  });

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((session) => session.dispose()));
    await closeAll();
    fs.rmSync(saveDir, { recursive: true, force: true });
  });

  function newSession(): { session: ChatSession; posted: HostMessage[]; notices: IncomingNotice[] } {
    const session = new ChatSession({
      saveDir: () => path.join(saveDir, 'received'),
      sentDir: () => path.join(saveDir, 'sent'),
      saveQuotaBytes: () => 500 * 1024 * 1024,
      imageSrc: () => undefined,
      compressor: () => new ImageCompressor(),
      imageOptions: () => ({}),
      log: () => {},
      clientOptions: { joinRetryMs: 50, maxJoinRetryMs: 200 },
    });
    sessions.push(session);
    const posted: HostMessage[] = [];
    const notices: IncomingNotice[] = [];
    session.on('post', (message) => posted.push(message));
    session.on('incoming', (notice) => notices.push(notice));
    return { session, posted, notices };
  }

  const entries = (posted: HostMessage[]): EntryView[] => posted.flatMap((message) => (message.type === 'entry' ? [message.entry] : []));

  it('shows an own snippet at once with its place, and the room gets it as a snippet', async () => {
    const relay = await startRelay();
    const { session, posted } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const bob = await joinClient(relay, 'bob');
    const received = new Promise<ChatText>((resolve) => bob.on('message', resolve));
    const id = session.sendSnippet(META, CODE);
    const own = entries(posted).find((entry) => entry.id === id);
    assert.ok(own?.kind === 'text' && own.own, JSON.stringify(own));
    assert.equal(own.text, CODE);
    assert.deepEqual(own.snippet, META);
    assert.equal(own.delivery?.state, 'sending');
    const message = await received;
    assert.equal(message.text, CODE);
    assert.deepEqual(message.snippet, META);
    for (const post of posted) assert.ok(isHostMessage(post), `rejected by the guard: ${JSON.stringify(post).slice(0, 200)}`);
  });

  it('finds an own snippet by its id for Open and Copy', async () => {
    const relay = await startRelay();
    const { session } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const id = session.sendSnippet(META, CODE);
    assert.deepEqual(session.snippet(id), { id, from: 'ann', own: true, meta: META, code: CODE });
  });

  it('shows a received snippet with its place, finds it by id and announces it with its place', async () => {
    const relay = await startRelay();
    const { session, posted, notices } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const bob = await joinClient(relay, 'bob');
    const id = bob.sendSnippet(META, CODE);
    await until(() => entries(posted).some((entry) => entry.id === id), 'the snippet entry');
    const entry = entries(posted).find((candidate) => candidate.id === id);
    assert.ok(entry?.kind === 'text' && !entry.own);
    assert.deepEqual(entry.snippet, META);
    assert.deepEqual(session.snippet(id), { id, from: 'bob', own: false, meta: META, code: CODE });
    await until(() => notices.length > 0, 'the notice');
    assert.deepEqual(notices[0]?.snippet, META);
    assert.ok(session.snapshot().entries.some((view) => view.kind === 'text' && view.snippet?.path === 'src/a.ts'), 'the snapshot lost the snippet');
  });

  it('has no snippet behind a plain text', async () => {
    const relay = await startRelay();
    const { session } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const id = session.sendText('just words');
    assert.equal(session.snippet(id), undefined);
  });

  it('has no snippet behind one deleted for everyone', async () => {
    const relay = await startRelay();
    const { session } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const id = session.sendSnippet(META, CODE);
    session.remove(id);
    assert.equal(session.snippet(id), undefined);
  });

  it('refuses to share before a room is joined', () => {
    const { session } = newSession();
    assert.throws(() => session.sendSnippet(META, CODE), (error: unknown) => error instanceof ChatClientError && error.code === 'not-joined');
  });
});
