import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isWorkerRequest } from '../../../src/history/local-messages';
import { LOCAL_HISTORY_APPLICATION_ID, LOCAL_HISTORY_MIGRATIONS } from '../../../src/history/local-schema';
import { snippetColumn, snippetFromColumn } from '../../../src/history/local-snippet';
import { openLocalHistory, type LocalHistoryStore } from '../../../src/history/local-store';
import { openDatabase } from '../../../src/history/sqlite';
import type { SnippetMeta } from '../../../src/shared/snippet';
import { KEEP_ALL, T0, hex, text as textEntry, type TextEntry } from '../../support/history-entries';

const ROOM = '127.0.0.1:12345/general';
const COMMIT = 'a'.repeat(40);
const META: SnippetMeta = { path: 'src/a.ts', startLine: 10, endLine: 24, language: 'typescript', repo: { remote: 'https://example.com/team/app.git', branch: 'main', commit: COMMIT } };

/** Text number n, a snippet when `snippet` is given. */
function text(n: number, body: string, snippet?: SnippetMeta): TextEntry {
  return textEntry(n, body, snippet ? { snippet } : {});
}

describe('history/local-snippet', () => {
  let dir: string;
  let store: LocalHistoryStore | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-local-snippet-'));
  });

  afterEach(() => {
    store?.close();
    store = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = (file = path.join(dir, 'local-history.sqlite')): LocalHistoryStore => (store = openLocalHistory(file, { fileExists: () => false }));

  it('keeps a snippet with its location, language and repository, and its code as the text', () => {
    const history = open();
    history.append(ROOM, [text(1, 'const answer = 42;', META)]);
    assert.deepEqual(history.latest(ROOM, 5).entries, [text(1, 'const answer = 42;', META)]);
  });

  it('keeps a snippet without a repository as one without', () => {
    const history = open();
    const meta = { path: 'notes.md', startLine: 3, endLine: 3, language: 'markdown' };
    history.append(ROOM, [text(1, '# title', meta)]);
    const [entry] = history.latest(ROOM, 5).entries;
    assert.deepEqual(entry?.kind === 'text' ? entry.snippet : 'not a text', meta);
  });

  it('reads a plain text back without a snippet', () => {
    const history = open();
    history.append(ROOM, [text(1, 'hello')]);
    const [entry] = history.latest(ROOM, 5).entries;
    assert.ok(entry?.kind === 'text');
    assert.equal('snippet' in entry, false);
  });

  it('finds words of a snippet\'s code in a search', () => {
    const history = open();
    history.append(ROOM, [text(1, 'nothing to see'), text(2, 'function frobnicateWidget(x) {\n  return x;\n}', META)]);
    assert.deepEqual(history.search(ROOM, 'frobnicatewidget', 5).map((hit) => hit.id), [hex(2)]);
  });

  it('opens a file of schema version 3, reads what it held, and keeps snippets in it from then on', () => {
    const file = path.join(dir, 'v3.sqlite');
    const old = openDatabase(file, { migrations: LOCAL_HISTORY_MIGRATIONS.slice(0, 3), applicationId: LOCAL_HISTORY_APPLICATION_ID });
    assert.equal(old.schemaVersion, 3);
    old.run('INSERT INTO rooms (key) VALUES (?)', [ROOM]);
    old.run(
      `INSERT INTO entries (room, entry_id, kind, sender, message_id, own, body, folded, sent_at, seq, legacy, encrypted, delivered, bytes, reply_to)
       VALUES (1, ?, 'text', 'bob', ?, 0, 'written by version three', 'written by version three', ?, 1, 0, 0, 1, 100, ?)`,
      [hex(1), hex(1), T0 + 1000, hex(9)],
    );
    old.close();
    const history = open(file);
    assert.deepEqual(history.latest(ROOM, 5).entries, [{ ...text(1, 'written by version three'), replyTo: hex(9) }]);
    history.append(ROOM, [text(2, 'let x = 1;', META)]);
    const entries = history.latest(ROOM, 5).entries;
    assert.deepEqual(entries[1], text(2, 'let x = 1;', META));
  });

  it('leaves out a stored location that is not a snippet, and shows the text', () => {
    assert.equal(snippetFromColumn(JSON.stringify({ ...META, path: '../etc/passwd' })), undefined);
    assert.equal(snippetFromColumn(JSON.stringify({ ...META, startLine: 0 })), undefined);
    assert.equal(snippetFromColumn(JSON.stringify({ ...META, extra: 1 })), undefined);
    assert.equal(snippetFromColumn('{not json'), undefined);
    assert.equal(snippetFromColumn(null), undefined);
    assert.deepEqual(snippetFromColumn(snippetColumn(META)), META);
  });

  it('refuses, in the worker\'s guard, an append whose snippet is not one', () => {
    const request = (snippet: unknown) => ({ id: 1, request: { op: 'append', key: ROOM, entries: [{ ...text(1, 'x'), snippet }], now: T0, retention: KEEP_ALL } });
    assert.equal(isWorkerRequest(request(META)), true);
    assert.equal(isWorkerRequest(request({ ...META, path: '/abs' })), false);
    assert.equal(isWorkerRequest(request({ ...META, repo: { commit: 7 } })), false);
  });
});
