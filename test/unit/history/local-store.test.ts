import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HistoryEntry } from '../../../src/history/local-entry';
import { LOCAL_HISTORY_APPLICATION_ID, LOCAL_HISTORY_MIGRATIONS } from '../../../src/history/local-schema';
import { LocalHistoryStore, openLocalHistory } from '../../../src/history/local-store';
import { openDatabase } from '../../../src/history/sqlite';
import { KEEP_ALL, T0, hex, text } from '../../support/history-entries';

const ROOM = '127.0.0.1:12345/general';
const OTHER = '127.0.0.1:12345/ops';
const DAY_MS = 24 * 60 * 60 * 1000;

function image(n: number, file: string): HistoryEntry {
  return {
    kind: 'image',
    id: hex(n),
    messageId: hex(n),
    from: 'bob',
    own: false,
    image: { file, width: 640, height: 480, bytes: 20_000 },
    sentAt: T0 + n * 1000,
    seq: n,
    legacy: false,
    encrypted: true,
    delivered: true,
  };
}

const ids = (entries: readonly HistoryEntry[]): string[] => entries.map((entry) => entry.id);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('LocalHistoryStore', () => {
  let dir: string;
  let store: LocalHistoryStore;
  let existing: Set<string>;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-local-history-'));
    existing = new Set();
    store = openLocalHistory(path.join(dir, 'history.sqlite'), { fileExists: (file) => existing.has(file) });
  });

  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('pages', () => {
    beforeEach(() => {
      store.append(ROOM, range(1, 30).map((n) => text(n)));
    });

    it('gives the latest N oldest first, and says older ones exist', () => {
      const page = store.latest(ROOM, 5);
      assert.deepEqual(ids(page.entries), range(26, 30).map(hex));
      assert.equal(page.hasOlder, true);
      assert.equal(store.latest(ROOM, 30).hasOlder, false);
    });

    it('pages back by time before an entry until the start', () => {
      const first = store.before(ROOM, hex(11), 5);
      assert.deepEqual(ids(first.entries), range(6, 10).map(hex));
      assert.equal(first.hasOlder, true);
      const last = store.before(ROOM, hex(6), 5);
      assert.deepEqual(ids(last.entries), range(1, 5).map(hex));
      assert.equal(last.hasOlder, false);
    });

    it('places a line it does not hold by the time given', () => {
      const page = store.before(ROOM, 'sys-zz-1', 3, T0 + 20_500);
      assert.deepEqual(ids(page.entries), range(18, 20).map(hex));
    });

    it('orders by the time said, whatever order entries came in (an older page arriving last)', () => {
      store.append(OTHER, [text(5), text(9), text(1), text(7)]);
      assert.deepEqual(ids(store.latest(OTHER, 10).entries), [1, 5, 7, 9].map(hex));
    });

    it('gives a window around an entry, saying what lies beyond it on both sides', () => {
      const window = store.around(ROOM, hex(15), 3, 2);
      assert.ok(window);
      assert.deepEqual(ids(window.entries), range(12, 17).map(hex));
      assert.equal(window.hasOlder, true);
      assert.equal(window.hasNewer, true);
      const atEnd = store.around(ROOM, hex(29), 2, 5);
      assert.deepEqual(ids(atEnd!.entries), range(27, 30).map(hex));
      assert.equal(atEnd!.hasNewer, false);
      assert.equal(store.around(ROOM, hex(999), 2, 2), undefined);
    });

    it('keeps rooms apart', () => {
      store.append(OTHER, [text(100)]);
      assert.deepEqual(ids(store.latest(OTHER, 10).entries), [hex(100)]);
      assert.ok(!ids(store.latest(ROOM, 100).entries).includes(hex(100)));
    });
  });

  describe('dedupe', () => {
    it('adds a message once, whether it comes again live, from the backlog or without a sequence number', () => {
      const first = store.append(ROOM, [text(1, 'hello', { seq: undefined })]);
      const again = store.append(ROOM, [text(1, 'hello', { seq: 7 }), text(1, 'hello', { seq: undefined })]);
      assert.deepEqual(first.map((result) => result.added), [true]);
      assert.deepEqual(again.map((result) => result.added), [false, false]);
      assert.equal(store.latest(ROOM, 10).entries.length, 1);
      // the copy brought the relay's sequence number, which catch-up asks from
      assert.equal(store.marks(ROOM).latestSeq, 7);
    });

    it('treats the same relay sequence number as the same message', () => {
      store.append(ROOM, [text(1, 'hello', { seq: 3 })]);
      const results = store.append(ROOM, [text(2, 'other id, same place', { seq: 3 })]);
      assert.equal(results[0]!.added, false);
    });

    it('keeps two senders\u2019 messages with the same id apart, the second under a derived id', () => {
      store.append(ROOM, [text(1, 'from bob')]);
      const [result] = store.append(ROOM, [text(1, 'from eve', { from: 'eve', seq: 2 })]);
      assert.equal(result!.added, true);
      assert.notEqual(result!.id, hex(1));
      assert.match(result!.id, /^[0-9a-f]{8}-[0-9a-f]{16}$/);
      assert.deepEqual(
        store.latest(ROOM, 10).entries.map((entry) => entry.kind === 'text' && entry.text),
        ['from bob', 'from eve'],
      );
    });
  });

  describe('search', () => {
    it('finds one word in a 10,000-message history, with an excerpt and the offsets of the match', () => {
      const entries = range(1, 10_000).map((n) =>
        text(n, n === 7_321 ? 'the build broke again after the flamingo migration, see the log' : `status update number ${n}, all green`),
      );
      store.append(ROOM, entries);
      const hits = store.search(ROOM, 'flamingo', 10);
      assert.equal(hits.length, 1);
      const [hit] = hits;
      assert.equal(hit!.id, hex(7_321));
      assert.equal(hit!.from, 'bob');
      assert.equal(hit!.matches.length, 1);
      const [start, end] = hit!.matches[0]!;
      assert.equal(hit!.excerpt.slice(start, end), 'flamingo');
    });

    it('matches without diacritics, by prefix while typing, and every word', () => {
      store.append(ROOM, [text(1, 'Rendez-vous au café à midi'), text(2, 'cafeteria closed'), text(3, 'no coffee here')]);
      assert.deepEqual(store.search(ROOM, 'cafe', 10).map((hit) => hit.id), [hex(2), hex(1)]);
      assert.deepEqual(store.search(ROOM, 'café midi', 10).map((hit) => hit.id), [hex(1)]);
      const [hit] = store.search(ROOM, 'midi', 10);
      assert.equal(hit!.excerpt.slice(...hit!.matches[0]!), 'midi');
    });

    it('finds Cyrillic, Greek without its accents, and space-separated Japanese', () => {
      store.append(ROOM, [text(1, 'Привет, как дела?'), text(2, 'Καλημέρα σε όλους'), text(3, '明日 会議 です')]);
      const first = (query: string): string | undefined => store.search(ROOM, query, 5)[0]?.id;
      assert.equal(first('дела'), hex(1));
      assert.equal(first('καλημερα'), hex(2));
      assert.equal(first('会議'), hex(3));
      const [greek] = store.search(ROOM, 'καλημερα', 5);
      assert.equal(greek!.excerpt.slice(...greek!.matches[0]!), 'Καλημέρα');
    });

    it('gives a bounded plain-text excerpt of a long text, the match inside it, never markup', () => {
      const long = `${'a <b>tag</b> and words '.repeat(40)}needle${' more words'.repeat(40)}`;
      store.append(ROOM, [text(1, long)]);
      const [hit] = store.search(ROOM, 'needle', 5);
      assert.ok(hit!.excerpt.length <= 162, `excerpt of ${hit!.excerpt.length} characters`);
      assert.ok(hit!.excerpt.startsWith('…') && hit!.excerpt.endsWith('…'));
      assert.equal(hit!.excerpt.slice(...hit!.matches[0]!), 'needle');
      assert.ok(hit!.excerpt.includes('<b>tag</b>'), 'the text is given as it is, for the panel to show as text');
    });

    it('finds nothing for a query of FTS5 syntax alone, and treats its operators as words', () => {
      store.append(ROOM, [text(1, 'NEAR the OR gate')]);
      assert.deepEqual(store.search(ROOM, '"*():^', 5), []);
      assert.deepEqual(store.search(ROOM, 'OR gate', 5).map((hit) => hit.id), [hex(1)]);
    });

    it('searches only the room asked about, and no longer finds a cleared room', () => {
      store.append(ROOM, [text(1, 'secret plan')]);
      store.append(OTHER, [text(2, 'secret sauce')]);
      assert.deepEqual(store.search(OTHER, 'secret', 5).map((hit) => hit.id), [hex(2)]);
      store.clear(OTHER);
      assert.deepEqual(store.search(OTHER, 'secret', 5), []);
      assert.deepEqual(store.search(ROOM, 'secret', 5).map((hit) => hit.id), [hex(1)]);
    });
  });

  describe('retention', () => {
    it('keeps at most the newest N entries of a room', () => {
      store.append(ROOM, range(1, 20).map((n) => text(n)));
      store.append(OTHER, range(1, 5).map((n) => text(n)));
      const removed = store.prune(ROOM, T0, { ...KEEP_ALL, maxEntries: 8 });
      assert.equal(removed, 12);
      assert.deepEqual(ids(store.latest(ROOM, 100).entries), range(13, 20).map(hex));
      assert.equal(store.latest(OTHER, 100).entries.length, 5);
    });

    it('drops entries older than the age limit', () => {
      store.append(ROOM, [text(1, 'old', { sentAt: T0 - 100 * DAY_MS }), text(2, 'recent', { sentAt: T0 - DAY_MS })]);
      store.prune(ROOM, T0, { ...KEEP_ALL, maxAgeMs: 90 * DAY_MS });
      assert.deepEqual(ids(store.latest(ROOM, 10).entries), [hex(2)]);
    });

    it('keeps a room within its byte budget, oldest first, counting the images its entries show', () => {
      store.append(ROOM, [text(1, 'x'.repeat(1000)), image(2, '/tmp/a.jpg'), text(3, 'y'.repeat(1000))]);
      // the image counts 20,000 bytes: a budget of 10,000 keeps only the newest text
      store.prune(ROOM, T0, { ...KEEP_ALL, maxBytes: 10_000 });
      assert.deepEqual(ids(store.latest(ROOM, 10).entries), [hex(3)]);
    });

    it('takes what it dropped out of the search index too, so a later entry never matches its words', () => {
      // the older message arrives last (an older page), so it has the highest row number
      store.append(ROOM, [text(2, 'lasting word')]);
      store.append(ROOM, [text(1, 'ephemeral word')]);
      store.prune(ROOM, T0, { ...KEEP_ALL, maxEntries: 1 });
      // the next entry takes the freed row number
      store.append(ROOM, [text(3, 'unrelated')]);
      assert.deepEqual(store.search(ROOM, 'ephemeral', 5), []);
      assert.deepEqual(store.search(ROOM, 'word', 5).map((hit) => hit.id), [hex(2)]);
    });
  });

  describe('clear', () => {
    it('forgets the room\u2019s entries, lists its image files no other room shows, and keeps its place at the relay', () => {
      existing.add('/store/a.jpg').add('/store/shared.jpg');
      store.append(ROOM, [text(1), image(2, '/store/a.jpg'), image(3, '/store/shared.jpg')]);
      store.append(OTHER, [image(4, '/store/shared.jpg')]);
      store.noteRelay(ROOM, { latestSeq: 3 });
      const { removed, files } = store.clear(ROOM);
      assert.equal(removed, 3);
      assert.deepEqual(files, ['/store/a.jpg']);
      assert.deepEqual(store.latest(ROOM, 10).entries, []);
      assert.equal(store.marks(ROOM).latestSeq, 3);
      assert.equal(store.latest(OTHER, 10).entries.length, 1);
    });
  });

  describe('images and marks', () => {
    it('references images by file and says when the file is gone', () => {
      existing.add('/store/kept.jpg');
      store.append(ROOM, [image(1, '/store/kept.jpg'), image(2, '/store/deleted.jpg')]);
      const [kept, deleted] = store.latest(ROOM, 10).entries;
      assert.equal(kept!.kind === 'image' && kept!.image.file, '/store/kept.jpg');
      assert.equal(deleted!.kind === 'image' && deleted!.image.file, undefined);
    });

    it('resumes from the point the client reported, else from the highest number held; knows the oldest and the last room', () => {
      store.append(ROOM, [text(4), text(9)]);
      assert.equal(store.marks(ROOM).latestSeq, 9);
      // a gap (10, 11 lost) stays asked for: the reported point wins over the highest held
      store.append(ROOM, [text(12)]);
      store.noteRelay(ROOM, { latestSeq: 9 });
      assert.deepEqual(store.marks(ROOM), { latestSeq: 9, oldestSeq: 4, relayStartReached: false, count: 3 });
      store.touch(OTHER, T0);
      store.touch(ROOM, T0 + 1);
      assert.equal(store.lastRoom(), ROOM);
    });

    it('marks a message of yours delivered', () => {
      store.append(ROOM, [text(1, 'mine', { own: true, delivered: false, seq: undefined })]);
      store.update(ROOM, hex(1), { delivered: true });
      const [entry] = store.latest(ROOM, 1).entries;
      assert.equal(entry!.kind === 'text' && entry!.delivered, true);
    });
  });

  describe('schema', () => {
    it('migrates a file of schema version 1 forward, keeping its entries and its index', () => {
      store.close();
      const file = path.join(dir, 'v1.sqlite');
      const old = openDatabase(file, { migrations: LOCAL_HISTORY_MIGRATIONS.slice(0, 1), applicationId: LOCAL_HISTORY_APPLICATION_ID });
      assert.equal(old.schemaVersion, 1);
      writeVersionOne(old, 'written by version one', 5);
      old.close();
      store = openLocalHistory(file, { fileExists: () => false });
      assert.deepEqual(ids(store.latest(ROOM, 5).entries), [hex(1)]);
      assert.deepEqual(store.search(ROOM, 'version', 5).map((hit) => hit.id), [hex(1)]);
      // version 2's unique sequence numbers hold for what version 1 wrote
      assert.equal(store.append(ROOM, [text(2, 'same place', { seq: 5 })])[0]!.added, false);
      store.noteRelay(ROOM, { startReached: true });
      assert.equal(store.marks(ROOM).relayStartReached, true);
    });

    it('migrates a file of schema version 2 forward: its entries take edits, deletes and reactions', () => {
      store.close();
      const file = path.join(dir, 'v2.sqlite');
      const old = openDatabase(file, { migrations: LOCAL_HISTORY_MIGRATIONS.slice(0, 2), applicationId: LOCAL_HISTORY_APPLICATION_ID });
      assert.equal(old.schemaVersion, 2);
      writeVersionOne(old, 'written by version two', 5);
      old.close();
      store = openLocalHistory(file, { fileExists: () => false });
      assert.equal(store.edit(ROOM, { from: 'bob', messageId: hex(1), text: 'edited by version three', editedAt: T0 }), true);
      store.react(ROOM, { messageId: hex(1), from: 'ann', emoji: '👍', on: true });
      const [entry] = store.latest(ROOM, 5).entries;
      assert.ok(entry?.kind === 'text');
      assert.deepEqual([entry.text, entry.editedAt, entry.reactions], ['edited by version three', T0, [{ emoji: '👍', from: ['ann'] }]]);
    });
  });

  describe('replies, edits, deletes and reactions', () => {
    const only = (): Extract<HistoryEntry, { kind: 'text' }> => {
      const [entry] = store.latest(ROOM, 1).entries;
      assert.ok(entry?.kind === 'text');
      return entry;
    };

    it('keeps the message a reply answers', () => {
      store.append(ROOM, [text(1, 'yes', { replyTo: hex(9) })]);
      assert.equal(only().replyTo, hex(9));
    });

    it("replaces the sender's text with its edit, found by the new words and no longer by the old", () => {
      store.append(ROOM, [text(1, 'meet at the harbour')]);
      assert.equal(store.edit(ROOM, { from: 'bob', messageId: hex(1), text: 'meet at the station', editedAt: T0 + 5 }), true);
      assert.deepEqual([only().text, only().editedAt], ['meet at the station', T0 + 5]);
      assert.deepEqual(store.search(ROOM, 'station', 5).map((hit) => hit.id), [hex(1)]);
      assert.deepEqual(store.search(ROOM, 'harbour', 5), []);
    });

    it("changes nothing for an edit or delete naming another sender's message", () => {
      store.append(ROOM, [text(1, 'by bob')]);
      assert.equal(store.edit(ROOM, { from: 'mallory', messageId: hex(1), text: 'forged', editedAt: T0 }), false);
      assert.equal(store.remove(ROOM, { from: 'mallory', messageId: hex(1) }), false);
      assert.deepEqual([only().text, only().editedAt, only().deleted], ['by bob', undefined, undefined]);
    });

    it('keeps a deleted message in its place, without its text, its reactions or a match in search', () => {
      store.append(ROOM, [text(1, 'a secret plan')]);
      store.react(ROOM, { messageId: hex(1), from: 'ann', emoji: '👍', on: true });
      assert.equal(store.remove(ROOM, { from: 'bob', messageId: hex(1) }), true);
      assert.deepEqual([only().text, only().deleted, only().reactions], ['', true, undefined]);
      assert.deepEqual(store.search(ROOM, 'secret', 5), []);
      assert.equal(store.edit(ROOM, { from: 'bob', messageId: hex(1), text: 'back again', editedAt: T0 }), false, 'a deleted message takes no edit');
    });

    it('reads reactions back with their entry, by emoji, with who reacted, and takes one back when turned off', () => {
      store.append(ROOM, [text(1), text(2)]);
      store.react(ROOM, { messageId: hex(1), from: 'cy', emoji: '👍', on: true });
      store.react(ROOM, { messageId: hex(1), from: 'ann', emoji: '👍', on: true });
      store.react(ROOM, { messageId: hex(1), from: 'ann', emoji: '🎉', on: true });
      store.react(ROOM, { messageId: hex(1), from: 'ann', emoji: '🎉', on: true });
      store.react(ROOM, { messageId: hex(1), from: 'cy', emoji: '👍', on: false });
      const entries = store.latest(ROOM, 5).entries;
      assert.deepEqual(
        entries.map((entry) => (entry.kind === 'text' ? entry.reactions : 'system')),
        [
          [
            { emoji: '🎉', from: ['ann'] },
            { emoji: '👍', from: ['ann'] },
          ],
          undefined,
        ],
      );
    });

    it('forgets the reactions of a cleared room', () => {
      store.append(ROOM, [text(1)]);
      store.react(ROOM, { messageId: hex(1), from: 'ann', emoji: '👍', on: true });
      store.clear(ROOM);
      store.append(ROOM, [text(1)]);
      assert.equal(only().reactions, undefined);
    });
  });
});

/** A row as schema versions 1 and 2 wrote it (before replies, edits and reactions had columns). */
function writeVersionOne(db: ReturnType<typeof openDatabase>, body: string, seq: number): void {
  db.run("INSERT INTO rooms (key) VALUES (?)", [ROOM]);
  db.run(
    `INSERT INTO entries (room, entry_id, kind, sender, message_id, own, body, folded, sent_at, seq, legacy, encrypted, delivered, bytes)
     VALUES (1, ?, 'text', 'bob', ?, 0, ?, ?, ?, ?, 0, 0, 1, 100)`,
    [hex(1), hex(1), body, body, T0 + 1000, seq],
  );
}
