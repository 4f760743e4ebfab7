import assert from 'node:assert/strict';
import { MAX_ROOMS, ReadMarks, type MarkMemento } from '../../../src/extension/read-marks';

class Memento implements MarkMemento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  update(key: string, value: unknown): Thenable<void> {
    // As globalState: stored as JSON, so what is read back is a copy.
    this.values.set(key, JSON.parse(JSON.stringify(value)));
    return Promise.resolve();
  }
}

describe('extension/read-marks', () => {
  it('gives back the mark stored for a room, across instances on one memento (a restart)', async () => {
    const memento = new Memento();
    await new ReadMarks(memento).set('127.0.0.1:12345/general', { id: 'a1', at: 100 }, 1);
    assert.deepEqual(new ReadMarks(memento).get('127.0.0.1:12345/general'), { id: 'a1', at: 100 });
    assert.equal(new ReadMarks(memento).get('127.0.0.1:12345/other'), undefined);
  });

  it(`keeps at most ${MAX_ROOMS} rooms, forgetting the one read longest ago`, async () => {
    const marks = new ReadMarks(new Memento());
    for (let i = 0; i <= MAX_ROOMS; i++) await marks.set(`r/${i}`, { id: `m${i}`, at: i }, 1000 + i);
    assert.equal(marks.get('r/0'), undefined);
    assert.deepEqual(marks.get('r/1'), { id: 'm1', at: 1 });
    assert.deepEqual(marks.get(`r/${MAX_ROOMS}`), { id: `m${MAX_ROOMS}`, at: MAX_ROOMS });
  });

  it('ignores a stored value of the wrong shape', () => {
    const memento = new Memento();
    memento.values.set('udpChat.readMarks', { 'r/x': { id: 7, at: 'soon' }, 'r/y': 'no' });
    assert.equal(new ReadMarks(memento).get('r/x'), undefined);
    memento.values.set('udpChat.readMarks', ['not', 'a', 'record']);
    assert.equal(new ReadMarks(memento).get('r/x'), undefined);
  });
});
