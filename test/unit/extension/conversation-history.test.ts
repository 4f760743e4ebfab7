import assert from 'node:assert/strict';
import { ConversationHistory, entryBytes, toEntryView, type StoredEntry } from '../../../src/extension/conversation-history';

const text = (id: string, body: string): StoredEntry => ({
  kind: 'text',
  id,
  from: 'ann',
  own: false,
  text: body,
  sentAt: 1,
  legacy: false,
  encrypted: false,
});
const image = (id: string, file: string | undefined): StoredEntry => ({
  kind: 'image',
  id,
  from: 'bob',
  own: false,
  image: { file, width: 640, height: 480, bytes: 5_000_000 },
  sentAt: 1,
  legacy: false,
  encrypted: false,
});

describe('ConversationHistory', () => {
  it('counts a text by its characters, not as one entry', () => {
    assert.ok(entryBytes(text('a', 'x'.repeat(10_000))) >= 20_000);
    assert.ok(entryBytes(text('a', 'x')) < 300);
  });

  it("counts a snippet's path, language and repository too", () => {
    const code = text('a', 'x');
    const snippet = { path: 'p'.repeat(1000), startLine: 1, endLine: 1, language: 'typescript', repo: { remote: 'r'.repeat(500), branch: 'b'.repeat(200), commit: 'c'.repeat(40) } };
    const withSnippet = { ...code, snippet } as StoredEntry;
    assert.ok(entryBytes(withSnippet) - entryBytes(code) >= 2 * (1000 + 10 + 500 + 200 + 40));
  });

  it('counts an image by its file name only, never by its size on disk', () => {
    assert.ok(entryBytes(image('a', '/tmp/a.jpg')) < 300);
  });

  it('drops the oldest entries once the byte budget is passed', () => {
    const one = entryBytes(text('a0', 'x'.repeat(1000)));
    const history = new ConversationHistory(one * 3);
    for (let i = 0; i < 5; i++) history.add(text(`a${i}`, 'x'.repeat(1000)));
    assert.deepEqual(history.entries().map((entry) => entry.id), ['a2', 'a3', 'a4']);
    assert.ok(history.bytes <= one * 3);
  });

  it('returns what it dropped, so the files behind them can be forgotten', () => {
    const history = new ConversationHistory(entryBytes(text('a', 'x')) + 1);
    history.add(image('old', '/tmp/old.jpg'));
    const dropped = history.add(text('b', 'x'));
    assert.deepEqual(dropped?.map((entry) => entry.id), ['old']);
  });

  it('keeps the newest entry even when it alone passes the budget', () => {
    const history = new ConversationHistory(100);
    history.add(text('a', 'small'));
    history.add(text('b', 'x'.repeat(5000)));
    assert.deepEqual(history.entries().map((entry) => entry.id), ['b']);
  });

  it('ignores an id it already holds', () => {
    const history = new ConversationHistory();
    history.add(text('a', 'first'));
    assert.equal(history.add(text('a', 'second')), undefined);
    assert.equal(history.size, 1);
    assert.equal((history.get('a') as { text: string }).text, 'first');
  });

  it('keeps the byte count true when a delivery reason grows an entry', () => {
    const history = new ConversationHistory();
    history.add(text('a', 'hi'));
    const before = history.bytes;
    history.setDelivery('a', { state: 'failed', progress: 0, reason: 'r'.repeat(500) });
    assert.equal(history.bytes, before + 1000);
  });

  it('finds and clears the entries shown from a deleted file', () => {
    const history = new ConversationHistory();
    history.add(image('i1', '/tmp/x.jpg'));
    history.add(image('i2', '/tmp/y.jpg'));
    assert.deepEqual(history.idsShowing('/tmp/x.jpg'), ['i1']);
    history.setImageFile('i1', undefined);
    const view = toEntryView(history.get('i1') as StoredEntry, () => 'https://never.test/');
    assert.ok(view.kind === 'image' && view.image.src === undefined);
  });

  it('turns an image file into the URL the panel gives for it', () => {
    const view = toEntryView(image('i', '/tmp/a b.jpg'), (file) => `https://webview.test${encodeURI(file)}`);
    assert.ok(view.kind === 'image');
    assert.equal(view.image.src, 'https://webview.test/tmp/a%20b.jpg');
    assert.ok(!('file' in view.image));
  });
});
