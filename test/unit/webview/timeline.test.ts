import assert from 'node:assert/strict';
import type { EntryView } from '../../../src/shared/panel-messages';
import { Timeline } from '../../../webview/timeline';

const T0 = Date.UTC(2025, 10, 25, 14, 0, 0);

function text(id: string, minute: number, body = `at ${minute}`): EntryView {
  return { kind: 'text', id, from: 'jonas', own: false, text: body, sentAt: T0 + minute * 60_000, legacy: false, encrypted: true };
}

function ids(timeline: Timeline): string[] {
  return timeline.slice(0, timeline.length).map((entry) => entry.id);
}

describe('Timeline', () => {
  it('places entries by time whatever order they arrive in', () => {
    const timeline = new Timeline();
    for (const entry of [text('c', 30), text('a', 10), text('e', 50), text('b', 20), text('d', 40)]) timeline.upsert(entry);
    assert.deepEqual(ids(timeline), ['a', 'b', 'c', 'd', 'e']);
  });

  it('orders entries of the same time by id', () => {
    const timeline = new Timeline();
    for (const id of ['m2', 'm3', 'm1']) timeline.upsert(text(id, 5));
    assert.deepEqual(ids(timeline), ['m1', 'm2', 'm3']);
  });

  it('replaces an entry whose id it holds instead of adding it twice', () => {
    const timeline = new Timeline();
    timeline.merge([text('a', 1), text('b', 2)]);
    assert.equal(timeline.upsert(text('b', 2, 'edited')), 'replaced');
    assert.equal(timeline.upsert(text('b', 2, 'edited')), 'unchanged');
    assert.deepEqual(ids(timeline), ['a', 'b']);
    assert.equal((timeline.get('b') as Extract<EntryView, { kind: 'text' }>).text, 'edited');
  });

  it('moves a replaced entry whose time changed to its new place', () => {
    const timeline = new Timeline();
    timeline.merge([text('a', 1), text('b', 2), text('c', 3)]);
    timeline.upsert(text('a', 4));
    assert.deepEqual(ids(timeline), ['b', 'c', 'a']);
    assert.equal(timeline.indexOfId('a'), 2);
  });

  it('counts only new entries of a merged page', () => {
    const timeline = new Timeline();
    timeline.merge([text('c', 3), text('d', 4)]);
    assert.equal(timeline.merge([text('a', 1), text('b', 2), text('c', 3)]), 2);
    assert.deepEqual(ids(timeline), ['a', 'b', 'c', 'd']);
  });

  it('sorts a snapshot that is out of order and keeps the last of a repeated id', () => {
    const timeline = new Timeline();
    timeline.reset([text('b', 2), text('a', 1, 'first'), text('c', 3), text('a', 1, 'second')]);
    assert.deepEqual(ids(timeline), ['a', 'b', 'c']);
    assert.equal((timeline.get('a') as Extract<EntryView, { kind: 'text' }>).text, 'second');
  });

  it('keeps the object it holds for an unchanged entry of a new snapshot, so its element can stay', () => {
    const timeline = new Timeline();
    const held = text('a', 1);
    timeline.reset([held, text('b', 2)]);
    timeline.reset([text('a', 1), text('b', 2, 'edited')]);
    assert.equal(timeline.get('a'), held);
    assert.notEqual(timeline.get('b'), undefined);
    assert.equal((timeline.get('b') as Extract<EntryView, { kind: 'text' }>).text, 'edited');
  });

  it('finds the slice bounds of an entry by its time and id', () => {
    const timeline = new Timeline();
    timeline.merge([text('a', 1), text('b', 2), text('c', 3)]);
    assert.equal(timeline.lowerBound(text('b', 2)), 1);
    assert.equal(timeline.upperBound(text('b', 2)), 2);
    assert.equal(timeline.lowerBound(text('x', 9)), 3);
  });

  it('forgets removed entries by id', () => {
    const timeline = new Timeline();
    timeline.merge([text('a', 1), text('b', 2), text('c', 3)]);
    timeline.remove(0, 2);
    assert.deepEqual(ids(timeline), ['c']);
    assert.equal(timeline.get('a'), undefined);
    assert.equal(timeline.upsert(text('a', 1)), 'added');
  });
});
