import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryHistoryStore } from '../../src/history/memory-store';
import { openSqliteHistoryStore } from '../../src/history/sqlite-store';
import { closeAll, joinClient, newClient, sendAll, shownTexts, startRelay } from '../support/chat';
import { collect, nextEvent, until } from '../support/events';
import { LossyProxy } from '../support/lossy-proxy';

describe('history (real sockets)', () => {
  const tempDirs: string[] = [];
  afterEach(async () => {
    await closeAll();
    for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives a late joiner the last N messages, oldest first, as backlog, then backlog-end', async () => {
    const relay = await startRelay({ history: { store: new MemoryHistoryStore() } });
    const ann = await joinClient(relay, 'ann');
    await sendAll(ann, ['one', 'two', 'three']);
    const bob = newClient(relay, 'bob', { history: { initial: 2 } });
    const shown = shownTexts(bob);
    const ended = nextEvent(bob, 'backlog-end');
    await bob.connect();
    const [end] = await ended;
    assert.deepEqual(end, { count: 2, latestSeq: 3 });
    assert.deepEqual(
      shown.map((message) => [message.text, message.from, message.backlog, message.seq]),
      [
        ['two', 'ann', true, 2],
        ['three', 'ann', true, 3],
      ],
    );
  });

  it('numbers a live message of many fragments, and its receiver puts it together as usual', async () => {
    const relay = await startRelay({ history: { store: new MemoryHistoryStore() } });
    const ann = await joinClient(relay, 'ann');
    const bob = await joinClient(relay, 'bob', { history: { initial: 0 } });
    const long = 'many fragments '.repeat(400); // ~6 KB: six fragments, the last one numbered
    const arrived = nextEvent(bob, 'message');
    ann.sendText(long);
    const [message] = await arrived;
    assert.deepEqual([message.text, message.seq, message.backlog], [long, 1, undefined]);
  });

  it('shows a message that came live once, when a page brings it again', async () => {
    const relay = await startRelay({ history: { store: new MemoryHistoryStore() } });
    const ann = await joinClient(relay, 'ann');
    const bob = await joinClient(relay, 'bob', { history: { initial: 0 } });
    const shown = shownTexts(bob);
    await sendAll(ann, ['live one', 'live two']);
    await until(() => shown.length === 2, 'bob to get both live');
    const page = await bob.requestHistory({ before: 0, limit: 10 });
    assert.deepEqual([page.count, page.complete], [0, true]);
    // A sentinel after the page: had the page shown anything, it would be before this.
    await sendAll(ann, ['sentinel']);
    await until(() => shown.some((message) => message.text === 'sentinel'), 'the sentinel');
    assert.deepEqual(shown.map((message) => [message.text, message.backlog ?? false]), [
      ['live one', false],
      ['live two', false],
      ['sentinel', false],
    ]);
  });

  it('catches a member that was away up with exactly what it missed: nothing twice, nothing missing', async () => {
    // Which numbers pages start after: the catch-up must ask from the last number bob holds, not from the start.
    const asked: number[] = [];
    const store = new (class extends MemoryHistoryStore {
      override after(room: string, afterSeq: number, limit: number) {
        asked.push(afterSeq);
        return super.after(room, afterSeq, limit);
      }
    })();
    const relay = await startRelay({ history: { store } });
    const proxy = await LossyProxy.start({ relayPort: relay.address.port, seed: 11 });
    const ann = await joinClient(relay, 'ann');
    const bob = newClient(proxy, 'bob', { history: { initial: 0 } });
    const shown = shownTexts(bob);
    const ends = collect(bob, 'backlog-end');
    await bob.connect();
    await until(() => ends.length === 1, 'bob\'s first backlog-end');
    await sendAll(ann, ['a1', 'a2', 'a3']);
    await until(() => shown.length === 3, 'bob to get a1..a3 live');
    assert.equal(bob.latestSeq, 3);
    // bob's network goes away until the client notices and starts rejoining.
    proxy.impair('toRelay', { lossPercent: 100 });
    proxy.impair('toClient', { lossPercent: 100 });
    // Sent once the relay has evicted bob: nothing is queued for him, only catching up can bring them.
    await nextEvent(ann, 'memberLeft', (member) => member.name === 'bob');
    await sendAll(ann, ['b1', 'b2', 'b3', 'b4', 'b5']);
    asked.length = 0;
    proxy.impair('toRelay', { lossPercent: 0 });
    proxy.impair('toClient', { lossPercent: 0 });
    await until(() => ends.length === 2, 'bob\'s catch-up to end');
    const [caughtUp] = ends[1] as [{ count: number; latestSeq: number }];
    assert.equal(caughtUp.latestSeq, 8);
    assert.deepEqual(shown.map((message) => message.text), ['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'b4', 'b5']);
    assert.deepEqual(shown.filter((message) => message.backlog).map((message) => message.text), ['b1', 'b2', 'b3', 'b4', 'b5']);
    assert.equal(caughtUp.count, 5);
    assert.equal(asked[0], 3);
    assert.equal(bob.latestSeq, 8);
  });

  it('commits each message before its sender hears that it was delivered', async () => {
    const delivered = new Set<string>();
    const heardBeforeCommit: string[] = [];
    const slow = new (class extends MemoryHistoryStore {
      override append(messages: Parameters<MemoryHistoryStore['append']>[0]) {
        for (const message of messages) {
          const id = message.messageId.toString(16).padStart(16, '0');
          if (delivered.has(id)) heardBeforeCommit.push(id);
        }
        // A slow disk (2 ms a commit): the relay then waits before its next commit, and a datagram sent
        // too early would reach the sender first.
        const until = performance.now() + 2;
        while (performance.now() < until);
        return super.append(messages);
      }
    })();
    const relay = await startRelay({ history: { store: slow } });
    const ann = await joinClient(relay, 'ann');
    await joinClient(relay, 'bob');
    ann.on('delivery', (update) => {
      if (update.state === 'delivered') delivered.add(update.id);
    });
    const lines = Array.from({ length: 30 }, (_, index) => `m${index}`);
    for (const line of lines) {
      ann.sendText(line);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await until(() => delivered.size === lines.length, 'every text delivered');
    assert.deepEqual(heardBeforeCommit, []);
    assert.equal(slow.latestSeq('general'), lines.length);
  });

  it('goes on without history when its store fails: every message still forwarded, later requests answered empty', async () => {
    const broken = new (class extends MemoryHistoryStore {
      override append(): never {
        throw new Error('disk full');
      }
    })();
    const logged: string[] = [];
    const relay = await startRelay({ history: { store: broken }, log: (_level, message) => logged.push(message) });
    const ann = await joinClient(relay, 'ann');
    const bob = await joinClient(relay, 'bob');
    const shown = shownTexts(bob);
    await sendAll(ann, ['one', 'two']);
    await until(() => shown.length === 2, 'bob to get both');
    assert.equal(relay.historyEnabled, false);
    assert.ok((relay.counters['history-error'] ?? 0) >= 1);
    assert.ok(logged.some((message) => message.includes('history turned off') && message.includes('disk full')), logged.join('\n'));
    assert.deepEqual(await bob.requestHistory({ before: 0, limit: 10 }), { count: 0, latestSeq: 0, complete: true });
  });

  it('keeps the history across a relay restart on the same store file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-history-'));
    tempDirs.push(dir);
    const file = path.join(dir, 'relay-history.sqlite');
    const first = await startRelay({ history: { store: openSqliteHistoryStore(file) } });
    const ann = await joinClient(first, 'ann');
    await sendAll(ann, ['before the restart', 'also before']);
    ann.close();
    await first.close();
    const second = await startRelay({ history: { store: openSqliteHistoryStore(file) } });
    const bob = newClient(second, 'bob', { history: { initial: 10 } });
    const shown = shownTexts(bob);
    const ended = nextEvent(bob, 'backlog-end');
    await bob.connect();
    assert.deepEqual((await ended)[0], { count: 2, latestSeq: 2 });
    assert.deepEqual(shown.map((message) => [message.text, message.backlog]), [
      ['before the restart', true],
      ['also before', true],
    ]);
  });

  it('lets a late joiner with the passphrase read a sealed backlog that neither the store nor the wire holds in plaintext', async () => {
    const store = new MemoryHistoryStore();
    const relay = await startRelay({ history: { store } });
    const secret = 'the plaintext nobody but members may see';
    const wire: Buffer[] = [];
    const proxy = await LossyProxy.start({ relayPort: relay.address.port, seed: 5, tap: (_direction, _client, datagram) => void wire.push(Buffer.from(datagram)) });
    const ann = await joinClient(proxy, 'ann', { passphrase: 'open sesame' });
    await sendAll(ann, [secret]);
    const bob = newClient(proxy, 'bob', { passphrase: 'open sesame', history: { initial: 5 } });
    const shown = shownTexts(bob);
    const ended = nextEvent(bob, 'backlog-end');
    await bob.connect();
    await ended;
    assert.deepEqual(shown.map((message) => [message.text, message.backlog, message.encrypted]), [[secret, true, true]]);
    const needle = Buffer.from('plaintext nobody');
    const stored = store.after('general', 0, 10);
    assert.equal(stored.length, 1);
    assert.ok(stored.every((message) => !Buffer.from(message.payload).includes(needle)), 'the store holds the plaintext');
    assert.ok(wire.length > 0 && wire.every((datagram) => !datagram.includes(needle)), 'the wire carried the plaintext');
  });

  it('refuses a late joiner with a wrong passphrase the usual way', async () => {
    const relay = await startRelay({ history: { store: new MemoryHistoryStore() } });
    const ann = await joinClient(relay, 'ann', { passphrase: 'open sesame' });
    await sendAll(ann, ['sealed']);
    const eve = newClient(relay, 'eve', { passphrase: 'wrong guess', history: { initial: 5 } });
    const shown = shownTexts(eve);
    await assert.rejects(eve.connect(), (error: Error & { code?: string }) => error.code === 'wrong-passphrase');
    assert.deepEqual(shown, []);
  });
});
