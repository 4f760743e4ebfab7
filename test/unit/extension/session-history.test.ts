import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChatText } from '../../../src/client/client';
import type { StoredEntry } from '../../../src/extension/conversation-history';
import { SessionHistory, type HistorySettings } from '../../../src/extension/session-history';
import { LocalHistoryClient } from '../../../src/history/local-client';
import type { HistoryEntry } from '../../../src/history/local-entry';

const ROOM = '127.0.0.1:12345/general';
const SETTINGS: HistorySettings = { enabled: true, retention: { maxEntries: 1e6, maxAgeMs: 1e15, maxBytes: 1e15 } };
const hex = (n: number): string => n.toString(16).padStart(16, '0');

function held(n: number): HistoryEntry {
  return { kind: 'text', id: hex(n), messageId: hex(n), from: 'bob', own: false, text: `held ${n}`, sentAt: 1_000 + n, seq: n, legacy: false, encrypted: false, delivered: true };
}

function arriving(n: number, text = `arriving ${n}`): ChatText {
  return { id: hex(n), from: 'bob', fromId: 2, text, sentAt: 1_000 + n, encrypted: false, legacy: false };
}

function shown(message: ChatText): StoredEntry {
  return { kind: 'text', id: message.id, from: message.from, own: false, text: message.text, sentAt: message.sentAt, legacy: false, encrypted: false };
}

describe('SessionHistory', () => {
  let dir: string;
  let file: string;
  let history: SessionHistory | undefined;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-session-history-'));
    file = path.join(dir, 'local.sqlite');
    // what an earlier run kept: messages 11 to 15 of the room
    const earlier = new LocalHistoryClient({ file });
    await earlier.request({ op: 'append', key: ROOM, entries: [11, 12, 13, 14, 15].map(held), now: 0, retention: SETTINGS.retention });
    await earlier.close();
  });

  afterEach(async () => {
    await history?.close();
    history = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function open(): SessionHistory {
    history = new SessionHistory({
      config: { file, settings: () => SETTINGS, ownedFolders: () => [] },
      timeOf: () => undefined,
      covered: () => undefined,
      log: () => {},
    });
    return history;
  }

  it('opens a room with its newest entries and resumes after the highest number held', async () => {
    const session = open();
    const entries = await session.open(ROOM, 10_000);
    assert.deepEqual(entries?.map((entry) => entry.id), [11, 12, 13, 14, 15].map(hex));
    assert.equal(session.latestSeq, 15);
  });

  it('recognises a copy of a message it holds (a resend or a catch-up that overlaps), and shows a new one', async () => {
    const session = open();
    await session.open(ROOM, 10_000);
    assert.equal(session.route(arriving(13, 'held 13'), { backlog: true, seq: 13 }), 'known');
    assert.equal(session.route(arriving(16), { backlog: true, seq: 16 }), 'show');
    assert.equal(session.route(arriving(17), { backlog: false, seq: 17 }), 'show');
  });

  it('writes what the panel showed with the number the relay gave it, and then knows it', async () => {
    const session = open();
    await session.open(ROOM, 10_000);
    const message = arriving(16);
    assert.equal(session.route(message, { seq: 16 }), 'show');
    session.added(shown(message), true);
    // known at once, before anything is read back (a copy without a number brings nothing to write)
    assert.equal(session.route(message, {}), 'known');
    const reopened = await session.open(ROOM, 20_000);
    assert.deepEqual(reopened?.map((entry) => entry.id).slice(-1), [hex(16)]);
    // kept with its number: the highest held is where catch-up resumes (no resume point was reported)
    assert.equal(session.latestSeq, 16);
    assert.equal(session.route(message, { seq: 16 }), 'known');
  });

  it('keeps, without showing, the messages of an older page it asked the relay for, and answers with them', async () => {
    const session = open();
    await session.open(ROOM, 10_000);
    const older = await session.older(hex(11), 10, async (beforeSeq) => {
      assert.equal(beforeSeq, 11);
      // what arrives meanwhile: the page (backlog, numbered below 11), and a live message
      const page = arriving(10, 'older page');
      assert.equal(session.route(page, { backlog: true, seq: 10 }), 'keep');
      session.keep(shown(page));
      assert.equal(session.route(arriving(16), { seq: 16 }), 'show');
      return { count: 1, complete: false };
    });
    assert.deepEqual(older.entries.map((entry) => entry.id), [hex(10)]);
    assert.equal(older.hasOlder, true, 'the relay may hold more before 10');
  });

  it('asks the relay for nothing more once it said it holds nothing older', async () => {
    const session = open();
    await session.open(ROOM, 10_000);
    let asked = 0;
    const fetch = async (): Promise<{ count: number; complete: boolean }> => {
      asked++;
      return { count: 0, complete: true };
    };
    assert.deepEqual((await session.older(hex(11), 10, fetch)).entries, []);
    const again = await session.older(hex(11), 10, fetch);
    assert.equal(asked, 1);
    assert.equal(again.hasOlder, false);
  });
});
