import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChatClient } from '../../src/client/client';
import { relayHistoryPath } from '../../src/history/data-dir';
import { MemoryHistoryStore } from '../../src/history/memory-store';
import { openSqliteHistoryStore, type SqliteHistoryStore } from '../../src/history/sqlite-store';
import type { Retention } from '../../src/history/store';
import type { Relay } from '../../src/relay/relay';
import { closeAll, joinClient, newClient, sendAll, shownTexts, startRelay } from '../support/chat';
import { nextEvent, until } from '../support/events';

const PASSPHRASE = 'open sesame';
const OTHER_PASSPHRASE = 'squatter guess';

const refusedWith = (code: string) => (error: Error & { code?: string }) => error.code === code;

/** Closes `client` and waits until the relay has let it go: its room is empty again. */
async function leave(relay: Relay, client: ChatClient): Promise<void> {
  const left = nextEvent(relay, 'leave');
  await client.close();
  await left;
}

describe('room pins kept with the history (real sockets)', () => {
  let dataDir = '';
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-room-pins-'));
  });
  afterEach(async () => {
    await closeAll();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A relay on the test's data folder (as `--data` opens it), with the test machine's identity: a restart is the same relay. */
  async function startOnData(retention?: Partial<Retention>): Promise<{ relay: Relay; store: SqliteHistoryStore }> {
    const store = openSqliteHistoryStore(relayHistoryPath(dataDir));
    const relay = await startRelay({ history: { store, retention } });
    return { relay, store };
  }

  /** ann opens `general` (sealed with `passphrase`, or open), stores `lines`, leaves, and the relay stops. */
  async function storeAndStop(lines: string[], passphrase?: string): Promise<void> {
    const { relay } = await startOnData();
    const ann = await joinClient(relay, 'ann', passphrase === undefined ? {} : { passphrase });
    await sendAll(ann, lines);
    await leave(relay, ann);
    await relay.close();
  }

  it('after a restart, refuses another passphrase into a sealed room with history, and the right one reads the backlog', async () => {
    await storeAndStop(['sealed one', 'sealed two'], PASSPHRASE);
    const { relay } = await startOnData();
    const eve = newClient(relay, 'eve', { passphrase: OTHER_PASSPHRASE, history: { initial: 10 } });
    await assert.rejects(eve.connect(), refusedWith('wrong-passphrase'));
    const bob = newClient(relay, 'bob', { passphrase: PASSPHRASE, history: { initial: 10 } });
    const shown = shownTexts(bob);
    const ended = nextEvent(bob, 'backlog-end');
    await bob.connect();
    assert.deepEqual((await ended)[0], { count: 2, latestSeq: 2 });
    assert.deepEqual(shown.map((message) => [message.text, message.backlog, message.encrypted]), [
      ['sealed one', true, true],
      ['sealed two', true, true],
    ]);
  });

  it('after a restart, keeps an open room with history open: a join with a passphrase is refused', async () => {
    await storeAndStop(['in the open']);
    const { relay } = await startOnData();
    const mallory = newClient(relay, 'mallory', { passphrase: OTHER_PASSPHRASE });
    await assert.rejects(mallory.connect(), refusedWith('forbidden'));
    const bob = newClient(relay, 'bob', { history: { initial: 10 } });
    const shown = shownTexts(bob);
    const ended = nextEvent(bob, 'backlog-end');
    await bob.connect();
    await ended;
    assert.deepEqual(shown.map((message) => [message.text, message.encrypted]), [['in the open', false]]);
  });

  it('refuses another passphrase into a sealed room with history while nobody is in it', async () => {
    const relay = await startRelay({ history: { store: new MemoryHistoryStore() } });
    const ann = await joinClient(relay, 'ann', { passphrase: PASSPHRASE });
    await sendAll(ann, ['sealed']);
    await leave(relay, ann);
    const eve = newClient(relay, 'eve', { passphrase: OTHER_PASSPHRASE });
    await assert.rejects(eve.connect(), refusedWith('wrong-passphrase'));
    await joinClient(relay, 'bob', { passphrase: PASSPHRASE });
  });

  it('releases the pin when retention drops the room\'s last message, and the next first message pins it again', async () => {
    await storeAndStop(['soon gone'], PASSPHRASE);
    // Retention of 1 ms: the relay's first prune, at start, drops everything stored before.
    const { relay, store } = await startOnData({ maxAgeMs: 1 });
    await until(() => store.after('general', 0, 1).length === 0, 'retention to drop the stored message');
    const eve = await joinClient(relay, 'eve', { passphrase: OTHER_PASSPHRASE });
    await sendAll(eve, ['a fresh start']);
    await leave(relay, eve);
    await relay.close();
    const { relay: third } = await startOnData();
    const ann = newClient(third, 'ann', { passphrase: PASSPHRASE });
    await assert.rejects(ann.connect(), refusedWith('wrong-passphrase'));
  });

  it('without history, pins rooms in memory only: an emptied room takes the next first joiner\'s passphrase', async () => {
    const relay = await startRelay();
    const ann = await joinClient(relay, 'ann', { passphrase: PASSPHRASE });
    await sendAll(ann, ['not kept']);
    await leave(relay, ann);
    const eve = await joinClient(relay, 'eve', { passphrase: OTHER_PASSPHRASE });
    assert.equal(eve.state, 'connected');
  });
});
