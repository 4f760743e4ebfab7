/**
 * The chat session with its local history, over real sockets and a relay that keeps history: a session that opens
 * again shows the room before any relay answers, and catches up on what was said while it was closed, once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatSession } from '../../src/extension/chat-session';
import type { HistorySettings } from '../../src/extension/session-history';
import { openSqliteHistoryStore } from '../../src/history/sqlite-store';
import { ImageCompressor } from '../../src/image';
import type { Relay } from '../../src/relay/relay';
import type { EntryView, HostMessage } from '../../src/shared/panel-messages';
import { closeAll, joinClient, startRelay } from '../support/chat';
import { until } from '../support/events';

const SETTINGS: HistorySettings = { enabled: true, retention: { maxEntries: 100_000, maxAgeMs: 90 * 24 * 3600_000, maxBytes: 512 * 1024 * 1024 } };

describe('ChatSession with the local history', () => {
  let dir = '';
  const sessions: ChatSession[] = [];
  const relays: Relay[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-session-history-'));
  });

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((session) => session.dispose()));
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
    await closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function newSession(): { session: ChatSession; posted: HostMessage[] } {
    const session = new ChatSession({
      saveDir: () => path.join(dir, 'images'),
      sentDir: () => path.join(dir, 'sent'),
      saveQuotaBytes: () => 100 * 1024 * 1024,
      imageSrc: (file) => `https://file.webview.test${encodeURI(file)}`,
      compressor: () => new ImageCompressor(),
      imageOptions: () => ({}),
      log: () => {},
      history: { file: path.join(dir, 'local.sqlite'), settings: () => SETTINGS, ownedFolders: () => [path.join(dir, 'images')] },
      clientOptions: { joinRetryMs: 50, maxJoinRetryMs: 200 },
    });
    sessions.push(session);
    const posted: HostMessage[] = [];
    session.on('post', (message) => posted.push(message));
    return { session, posted };
  }

  async function relayWithHistory(port = 0): Promise<Relay> {
    const relay = await startRelay({ port, history: { store: openSqliteHistoryStore(path.join(dir, 'relay', 'relay-history.sqlite')) } });
    relays.push(relay);
    return relay;
  }

  const texts = (entries: readonly EntryView[]): string[] => entries.flatMap((entry) => (entry.kind === 'text' ? [entry.text] : []));

  it('shows the room from the local history when it opens again, before the relay answers, then catches up once', async () => {
    const relay = await relayWithHistory();
    const port = relay.address.port;
    const first = newSession().session;
    await first.join({ relayHost: '127.0.0.1', relayPort: port, name: 'ann', room: 'general' });
    const bob = await joinClient(relay, 'bob', { history: { initial: 0 } });
    bob.sendText('one');
    bob.sendText('two');
    await until(() => texts(first.snapshot().entries).includes('two'), 'ann sees two');
    first.sendText('mine');
    await first.waitForDelivery(first.snapshot().entries.at(-1)!.id);
    await first.dispose(); // VS Code closes

    // more than a first join's 50: only catch-up from the point held brings them all
    const away = Array.from({ length: 60 }, (_, i) => `while away ${i + 1}`);
    for (const text of away) bob.sendText(text);
    bob.sendText('sentinel');
    // bob's messages are in the relay's history once delivered
    await until(() => bob.pending().length === 0, 'bob delivered what he typed');
    await relays.splice(0)[0]!.close(); // and the relay stops: nothing answers now
    bob.close();

    const { session: second } = newSession();
    await until(() => texts(second.snapshot().entries).includes('mine'), 'the reopened panel shows the history', 10_000);
    assert.deepEqual(texts(second.snapshot().entries), ['one', 'two', 'mine']);
    assert.equal(second.snapshot().room, 'general');

    await relayWithHistory(port);
    await second.join({ relayHost: '127.0.0.1', relayPort: port, name: 'ann', room: 'general' });
    await until(() => texts(second.snapshot().entries).includes('sentinel'), 'the catch-up arrives', 10_000);
    assert.deepEqual(texts(second.snapshot().entries), ['one', 'two', 'mine', ...away, 'sentinel']);
  });

  it('loads older entries from the local history, then from the relay once it holds nothing older', async () => {
    const relay = await relayWithHistory();
    const bob = await joinClient(relay, 'bob', { history: { initial: 0 } });
    for (let i = 1; i <= 80; i++) bob.sendText(`early ${i}`);
    await until(() => bob.pending().length === 0, 'bob delivered them');
    const { session, posted } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    // the join's backlog: the latest 50
    await until(() => texts(session.snapshot().entries).includes('early 80'), 'the backlog');
    assert.equal(texts(session.snapshot().entries)[0], 'early 31');
    assert.equal(session.snapshot().hasOlder, true);
    const oldest = session.snapshot().entries.find((entry) => entry.kind === 'text')!.id;
    session.history.request({ type: 'loadOlder', requestId: 7, beforeId: oldest, limit: 20 });
    await until(() => posted.some((message) => message.type === 'older'), 'the older page');
    const older = posted.find((message) => message.type === 'older');
    assert.ok(older?.type === 'older');
    assert.equal(older.requestId, 7);
    assert.deepEqual(texts(older.entries), Array.from({ length: 20 }, (_, i) => `early ${i + 11}`));
    assert.equal(older.hasOlder, true);
    // the page fetched from the relay is kept, not appended to what the panel shows
    assert.equal(texts(session.snapshot().entries)[0], 'early 31');
    assert.ok(!texts(session.snapshot().entries).includes('early 11'));
  });

  it('clears the room: the panel and the local history forget it, the next open shows nothing of it', async () => {
    const relay = await relayWithHistory();
    const { session, posted } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    session.sendText('to be forgotten');
    await until(() => session.snapshot().entries.some((entry) => entry.kind === 'text'), 'the text');
    const result = await session.history.clear();
    assert.ok(result && result.removed >= 1);
    assert.ok(posted.some((message) => message.type === 'historyCleared'));
    assert.deepEqual(session.snapshot().entries, []);
    await session.dispose();
    const { session: reopened, posted: reposted } = newSession();
    // the state posted once the room's history is read
    await until(() => reposted.some((message) => message.type === 'state' && message.state.room === 'general'), 'the reopened session shows the room');
    assert.deepEqual(texts(reopened.snapshot().entries), []);
  });

  it('answers a search and a jump from the local history', async () => {
    const relay = await relayWithHistory();
    const { session, posted } = newSession();
    await session.join({ relayHost: '127.0.0.1', relayPort: relay.address.port, name: 'ann', room: 'general' });
    const bob = await joinClient(relay, 'bob', { history: { initial: 0 } });
    for (let i = 0; i < 260; i++) bob.sendText(i === 7 ? 'the pelican has landed' : `filler ${i}`);
    await until(() => texts(session.snapshot().entries).includes('filler 259'), 'ann has them all', 20_000);
    session.history.request({ type: 'search', requestId: 1, query: 'pelican' });
    await until(() => posted.some((message) => message.type === 'searchResults'), 'the results');
    const results = posted.find((message) => message.type === 'searchResults');
    assert.ok(results?.type === 'searchResults');
    assert.equal(results.hits.length, 1);
    const [hit] = results.hits;
    assert.equal(hit!.excerpt.slice(...hit!.matches[0]!), 'pelican');
    session.history.request({ type: 'jump', requestId: 2, id: hit!.id, query: 'pelican' });
    await until(() => posted.some((message) => message.type === 'jumpTo'), 'the jump');
    const jump = posted.find((message) => message.type === 'jumpTo');
    assert.ok(jump?.type === 'jumpTo');
    assert.equal(jump.targetId, hit!.id);
    assert.ok(texts(jump.entries).includes('the pelican has landed'));
    // a window around the hit (100 after it), not the whole conversation, with a way back to the latest
    assert.equal(texts(jump.entries).at(-1), 'filler 107');
    assert.equal(jump.hasNewer, true);
  });
});
