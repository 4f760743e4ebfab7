import assert from 'node:assert/strict';
import { FINAL_SAVE_WAIT_MS, LOAD_WAIT_MS, ReplayMarkKeeper, SAVE_INTERVAL_MS, type MarkSource } from '../../../src/client/replay-marks';
import type { ReplayMarkScope, ReplayMarkStore } from '../../../src/client/types';
import { decodeReplayMarks, encodeReplayMarks, type ReplayMark, type ReplayMarks } from '../../../src/protocol/replay-marks';
import { createFakeClock, type FakeClock } from '../../support/fake-clock';

const SCOPE: ReplayMarkScope = { relay: '127.0.0.1:12345', room: 'ops' };

/** An opener's view: `open()` stands for a live message that moved a window. */
class FakeOpener implements MarkSource {
  revision = 0;
  marks: ReplayMark[] = [];
  open(counter: number): void {
    this.revision++;
    this.marks = [{ senderKey: new Uint8Array(32).fill(7), epoch: new Uint8Array(8).fill(9), counter }];
  }
  exportMarks(): ReplayMark[] {
    return this.marks;
  }
}

/** A store in memory that records what it was asked; `load` and `save` may be replaced. */
class MemoryStore implements ReplayMarkStore {
  readonly saves: Array<{ scope: ReplayMarkScope; counter: number | undefined }> = [];
  stored: ReplayMarks | undefined;
  load = async (_scope: ReplayMarkScope): Promise<ReplayMarks | undefined> => this.stored;
  save = async (scope: ReplayMarkScope, marks: ReplayMarks): Promise<void> => {
    this.stored = marks;
    const decoded = decodeReplayMarks(marks);
    this.saves.push({ scope, counter: decoded.ok ? decoded.marks[0]?.counter : undefined });
  };
}

describe('ReplayMarkKeeper', () => {
  let clock: FakeClock;
  let store: MemoryStore;
  let opener: FakeOpener;
  let logs: string[];
  let keeper: ReplayMarkKeeper;

  beforeEach(() => {
    clock = createFakeClock();
    store = new MemoryStore();
    opener = new FakeOpener();
    logs = [];
    keeper = new ReplayMarkKeeper(store, SCOPE, () => opener, clock, (level, message) => logs.push(`${level}: ${message}`));
  });

  it('loads the marks the store holds for its scope', async () => {
    const marks = [{ senderKey: new Uint8Array(32).fill(1), epoch: new Uint8Array(8).fill(2), counter: 40 }];
    store.stored = encodeReplayMarks(marks);
    let asked: ReplayMarkScope | undefined;
    const load = store.load;
    store.load = async (scope) => {
      asked = scope;
      return load(scope);
    };
    assert.deepEqual(await keeper.load(), marks);
    assert.deepEqual(asked, SCOPE);
  });

  it('saves at most once per second while messages open, with the latest marks', async () => {
    opener.open(1);
    keeper.changed();
    opener.open(2);
    keeper.changed();
    await clock.tickAsync(SAVE_INTERVAL_MS - 1);
    assert.equal(store.saves.length, 0);
    await clock.tickAsync(1);
    assert.deepEqual(store.saves, [{ scope: SCOPE, counter: 2 }]);
    opener.open(3);
    keeper.changed();
    await clock.tickAsync(SAVE_INTERVAL_MS);
    assert.deepEqual(store.saves.map((save) => save.counter), [2, 3]);
  });

  it('does not save when nothing opened since the last save', async () => {
    keeper.changed();
    await clock.tickAsync(SAVE_INTERVAL_MS * 3);
    opener.open(1);
    keeper.changed();
    await clock.tickAsync(SAVE_INTERVAL_MS);
    keeper.changed();
    await clock.tickAsync(SAVE_INTERVAL_MS * 3);
    assert.equal(store.saves.length, 1);
  });

  it('saves what changed at once on flush, and never again after it', async () => {
    opener.open(5);
    keeper.changed();
    await keeper.flush();
    assert.deepEqual(store.saves.map((save) => save.counter), [5]);
    opener.open(6);
    keeper.changed();
    await clock.tickAsync(SAVE_INTERVAL_MS * 2);
    assert.equal(store.saves.length, 1);
    assert.equal(clock.pendingTimers, 0);
  });

  it('logs a load that fails and goes on without marks', async () => {
    store.load = async () => {
      throw new Error('EACCES: permission denied');
    };
    assert.deepEqual(await keeper.load(), []);
    assert.equal(logs.length, 1);
    assert.match(logs[0] as string, /^warn: could not load the replay marks of room "ops" at 127\.0\.0\.1:12345.*EACCES/);
  });

  it('logs a load that throws at once (not even a promise) and goes on without marks', async () => {
    store.load = () => {
      throw new Error('broken store');
    };
    assert.deepEqual(await keeper.load(), []);
    assert.match(logs.join('\n'), /broken store/);
  });

  it('gives up on a load that never answers after LOAD_WAIT_MS', async () => {
    store.load = () => new Promise(() => {});
    let settled: ReplayMark[] | undefined;
    void keeper.load().then((marks) => (settled = marks));
    await clock.tickAsync(LOAD_WAIT_MS - 1);
    assert.equal(settled, undefined);
    await clock.tickAsync(1);
    assert.deepEqual(settled, []);
    assert.match(logs.join('\n'), /no answer within 5000 ms/);
  });

  it('ignores marks of an unknown schema version, with a log line', async () => {
    const bytes = encodeReplayMarks([{ senderKey: new Uint8Array(32), epoch: new Uint8Array(8), counter: 1 }]);
    bytes[0] = 9;
    store.stored = bytes;
    assert.deepEqual(await keeper.load(), []);
    assert.deepEqual(logs, ['warn: ignored the replay marks of room "ops" at 127.0.0.1:12345: schema version 9 is not one this client reads']);
  });

  it('ignores damaged marks, with a log line', async () => {
    store.stored = Uint8Array.of(1, 0, 5, 1, 2, 3);
    assert.deepEqual(await keeper.load(), []);
    assert.match(logs.join('\n'), /they are damaged/);
  });

  it('tells problems to the store when it has a report of its own', async () => {
    const reported: string[] = [];
    const reporting = Object.assign(new MemoryStore(), { report: (message: string) => reported.push(message) });
    reporting.stored = Uint8Array.of(7);
    const own = new ReplayMarkKeeper(reporting, SCOPE, () => opener, clock, (level, message) => logs.push(`${level}: ${message}`));
    assert.deepEqual(await own.load(), []);
    assert.equal(reported.length, 1);
    assert.deepEqual(logs, []);
  });

  it('logs a save that fails and tries again at the next change', async () => {
    let failures = 1;
    const save = store.save;
    store.save = async (scope, marks) => {
      if (failures-- > 0) throw new Error('ENOSPC: no space left on device');
      return save(scope, marks);
    };
    opener.open(1);
    keeper.changed();
    await clock.tickAsync(SAVE_INTERVAL_MS);
    assert.equal(store.saves.length, 0);
    assert.match(logs.join('\n'), /could not save the replay marks .*ENOSPC/);
    keeper.changed();
    await clock.tickAsync(SAVE_INTERVAL_MS);
    assert.deepEqual(store.saves.map((entry) => entry.counter), [1]);
  });

  it('settles flush within FINAL_SAVE_WAIT_MS when the store never answers', async () => {
    store.save = () => new Promise(() => {});
    opener.open(1);
    let settled = false;
    void keeper.flush().then(() => (settled = true));
    await clock.tickAsync(FINAL_SAVE_WAIT_MS - 1);
    assert.equal(settled, false);
    await clock.tickAsync(1);
    assert.equal(settled, true);
    assert.match(logs.join('\n'), /could not save .*no answer within 2000 ms/);
  });

  it('runs saves one after another, so an older one never lands after a newer one', async () => {
    const finish: Array<() => void> = [];
    const save = store.save;
    store.save = (scope, marks) => new Promise<void>((resolve) => finish.push(() => void save(scope, marks).then(resolve)));
    opener.open(1);
    keeper.changed();
    await clock.tickAsync(SAVE_INTERVAL_MS);
    opener.open(2);
    const flushed = keeper.flush();
    await clock.tickAsync(0);
    assert.equal(finish.length, 1, 'the second save waits for the first');
    finish.shift()?.();
    await clock.tickAsync(0);
    finish.shift()?.();
    await flushed;
    assert.deepEqual(store.saves.map((entry) => entry.counter), [1, 2]);
  });
});
