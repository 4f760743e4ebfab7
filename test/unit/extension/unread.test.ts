import assert from 'node:assert/strict';
import { isAfter, UnreadCounter, unreadBadge, unreadSummary, type CountedEntry } from '../../../src/extension/unread';

const message = (id: string, at: number, mentionsMe = false): CountedEntry => ({ id, at, counts: true, mentionsMe });
const own = (id: string, at: number): CountedEntry => ({ id, at, counts: false, mentionsMe: false });

describe('extension/unread', () => {
  it('orders by time, then by id, as the conversation does', () => {
    assert.equal(isAfter({ id: 'b', at: 10 }, { id: 'a', at: 10 }), true);
    assert.equal(isAfter({ id: 'a', at: 10 }, { id: 'a', at: 10 }), false);
    assert.equal(isAfter({ id: 'z', at: 9 }, { id: 'a', at: 10 }), false);
    assert.equal(isAfter({ id: 'a', at: 0 }, undefined), true);
  });

  it('counts the messages of others after the stored mark, and the mentions of you among them', () => {
    const counter = new UnreadCounter();
    counter.reset([message('m1', 1), message('m2', 2), own('m3', 3), message('m4', 4, true), message('m5', 5)], { id: 'm2', at: 2 });
    assert.deepEqual(counter.view(), { since: undefined, count: 2, mentions: 1 });
  });

  it('starts a room never read before as read up to its newest entry', () => {
    const counter = new UnreadCounter();
    counter.reset([message('m1', 1), message('m2', 2)], undefined);
    assert.equal(counter.view().count, 0);
    assert.deepEqual(counter.mark, { id: 'm2', at: 2 });
    counter.add(message('m3', 3, true));
    assert.deepEqual(counter.view(), { since: undefined, count: 1, mentions: 1 });
  });

  it('counts a message once however often it is added, and not at all when it is before the mark', () => {
    const counter = new UnreadCounter();
    counter.reset([], { id: 'm5', at: 5 });
    assert.equal(counter.add(message('m6', 6)), true);
    assert.equal(counter.add(message('m6', 6)), false);
    assert.equal(counter.add(message('m4', 4)), false);
    assert.equal(counter.view().count, 1);
  });

  it('stops counting a message that became a deleted one or one of yours', () => {
    const counter = new UnreadCounter();
    counter.reset([], { id: 'm0', at: 0 });
    counter.add(message('m1', 1, true));
    assert.equal(counter.add({ id: 'm1', at: 1, counts: false, mentionsMe: false }), true);
    assert.deepEqual(counter.view(), { since: undefined, count: 0, mentions: 0 });
  });

  it('puts the divider at the mark when the reader returns with something unread, and moves the mark on readAll', () => {
    const counter = new UnreadCounter();
    counter.reset([message('m1', 1)], { id: 'm1', at: 1 });
    counter.add(message('m2', 2));
    counter.returned();
    assert.deepEqual(counter.view().since, { id: 'm1', at: 1 });
    assert.deepEqual(counter.readAll(), { id: 'm2', at: 2 });
    // The divider stays where the reader came back to while they read on.
    assert.deepEqual(counter.view(), { since: { id: 'm1', at: 1 }, count: 0, mentions: 0 });
    assert.equal(counter.readAll(), undefined, 'nothing new: the mark does not move');
  });

  it('returning with nothing unread shows no divider', () => {
    const counter = new UnreadCounter();
    counter.reset([message('m1', 1)], { id: 'm1', at: 1 });
    counter.returned();
    assert.equal(counter.view().since, undefined);
  });

  it('moves the mark to the newest entry, own ones included', () => {
    const counter = new UnreadCounter();
    counter.reset([], { id: 'm0', at: 0 });
    counter.add(message('m1', 1));
    counter.add(own('m2', 2));
    assert.deepEqual(counter.readAll(), { id: 'm2', at: 2 });
  });

  it('says the counts in its own words only', () => {
    assert.equal(unreadSummary({ since: undefined, count: 1, mentions: 0 }), '1 unread message');
    assert.equal(unreadSummary({ since: undefined, count: 3, mentions: 2 }), '3 unread messages, 2 mentioning you');
  });

  it('gives the status bar the count, and the mentions with the mention icon', () => {
    assert.equal(unreadBadge({ since: undefined, count: 0, mentions: 0 }), '');
    assert.equal(unreadBadge({ since: undefined, count: 4, mentions: 0 }), ' · 4');
    assert.equal(unreadBadge({ since: undefined, count: 4, mentions: 1 }), ' · 4 $(mention) 1');
  });
});
