import assert from 'node:assert/strict';
import { MemoryHistoryStore } from '../../../src/history/memory-store';
import type { NewStoredMessage, Retention, RoomVerifier, StoredMessage } from '../../../src/history/store';
import type { BackgroundWrites } from '../../../src/history/threaded-store';
import { GroupCommit, type HeldDatagram } from '../../../src/relay/group-commit';
import { createFakeClock } from '../../support/fake-clock';
import { newMessage } from '../../support/history-contract';

/** A store whose background writes end when the test says so, each with the numbers the relay announced. */
class ManualBackgroundStore extends MemoryHistoryStore implements BackgroundWrites {
  readonly waiting: Array<{ messages: readonly NewStoredMessage[]; end(error?: Error): void }> = [];
  /** Every write in the order it was posted. */
  readonly posted: string[] = [];

  appendDurably(messages: readonly NewStoredMessage[]): Promise<StoredMessage[]> {
    this.posted.push(`append ${messages.map((message) => message.seq).join(',')}`);
    return new Promise((resolve, reject) => {
      this.waiting.push({
        messages,
        end: (error) => (error ? reject(error) : resolve(messages.map((message) => ({ ...message, seq: message.seq as number })))),
      });
    });
  }

  async pinRoomLater(room: string, _verifier: RoomVerifier): Promise<void> {
    this.posted.push(`pin ${room}`);
  }

  async pruneLater(_nowMs: number, _retention: Retention, _maxMessages: number): Promise<number> {
    return 0;
  }

  async closeWhenDone(): Promise<void> {}
}

const numbered = (seq: number): StoredMessage => ({ ...newMessage('a', `m${seq}`), seq });
const ack = (name: string): HeldDatagram => ({ datagram: new TextEncoder().encode(name), host: '127.0.0.1', port: 1 });
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setUp() {
  const store = new ManualBackgroundStore();
  const sent: string[] = [];
  const results: unknown[] = [];
  const commits = new GroupCommit({
    store,
    clock: createFakeClock(),
    send: (held) => sent.push(new TextDecoder().decode(held.datagram)),
    enabled: () => true,
    committed: (error) => results.push(error),
  });
  return { store, sent, results, commits };
}

describe('relay/group-commit in the background', () => {
  it('holds an acknowledgement until the commit of the messages numbered before it has ended', async () => {
    const { store, sent, commits } = setUp();
    commits.append(numbered(1));
    assert.equal(commits.holding, true);
    commits.hold(ack('ack 1'));
    await turn();
    assert.equal(store.waiting.length, 1, 'posted in the background');
    assert.deepEqual(sent, []);
    store.waiting[0]?.end();
    await turn();
    assert.deepEqual(sent, ['ack 1']);
    assert.equal(commits.holding, false);
  });

  it('holds an acknowledgement sent while a commit is on its way behind that commit, though nothing new was numbered', async () => {
    const { store, sent, commits } = setUp();
    commits.append(numbered(1));
    await turn();
    commits.hold(ack('late ack'));
    store.waiting[0]?.end();
    await turn();
    assert.deepEqual(sent, ['late ack']);
  });

  it('releases what waited in the order the commits were posted, whichever ends first', async () => {
    const { store, sent, commits, results } = setUp();
    commits.append(numbered(1));
    commits.hold(ack('first'));
    await turn();
    commits.append(numbered(2));
    commits.hold(ack('second'));
    await turn();
    assert.equal(store.waiting.length, 2);
    store.waiting[1]?.end();
    await turn();
    assert.deepEqual(sent, [], 'the second may cover the first one’s messages too');
    store.waiting[0]?.end();
    await turn();
    assert.deepEqual(sent, ['first', 'second']);
    assert.deepEqual(results, [undefined, undefined]);
  });

  it('reports a failed commit and still sends what waited (the messages went out live)', async () => {
    const { store, sent, commits, results } = setUp();
    commits.append(numbered(1));
    commits.hold(ack('ack'));
    await turn();
    const failure = new Error('disk full');
    store.waiting[0]?.end(failure);
    await turn();
    assert.deepEqual(results, [failure]);
    assert.deepEqual(sent, ['ack']);
  });

  it('writes a room pin before the appends of the same turn', async () => {
    const { store, commits } = setUp();
    commits.append(numbered(1));
    commits.pin('a', null);
    await turn();
    assert.deepEqual(store.posted, ['pin a', 'append 1']);
  });

  it('settles once no commit is on its way, after flush', async () => {
    const { store, sent, commits } = setUp();
    commits.append(numbered(1));
    commits.hold(ack('ack'));
    commits.flush();
    let settled = false;
    void commits.settled().then(() => (settled = true));
    await turn();
    assert.equal(settled, false);
    store.waiting[0]?.end();
    await turn();
    assert.equal(settled, true);
    assert.deepEqual(sent, ['ack']);
  });
});
