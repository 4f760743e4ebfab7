import assert from 'node:assert/strict';
import { TypingSet } from '../../../src/extension/typing-set';

describe('extension/typing-set', () => {
  it('shows a member from their typing signal until the time runs out', () => {
    const typing = new TypingSet(6000);
    assert.equal(typing.heard('bob', 1000), true);
    assert.deepEqual(typing.names(6999), ['bob']);
    assert.deepEqual(typing.names(7000), []);
    assert.equal(typing.nextExpiry(), 7000);
    assert.equal(typing.expire(7000), true);
    assert.equal(typing.nextExpiry(), undefined);
  });

  it('a later signal extends the time without changing who is shown', () => {
    const typing = new TypingSet(6000);
    typing.heard('bob', 0);
    assert.equal(typing.heard('bob', 3000), false);
    assert.deepEqual(typing.names(8000), ['bob']);
    assert.equal(typing.expire(8000), false);
  });

  it('a member who sent their message is no longer typing', () => {
    const typing = new TypingSet(6000);
    typing.heard('bob', 0);
    typing.heard('ann', 0);
    assert.equal(typing.stopped('bob'), true);
    assert.equal(typing.stopped('bob'), false);
    assert.deepEqual(typing.names(1), ['ann']);
  });
});
