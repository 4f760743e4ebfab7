import assert from 'node:assert/strict';
import { TYPING_INTERVAL_MS, TypingThrottle } from '../../../src/client/typing';

describe('client/typing', () => {
  it(`lets one Typing out per ${TYPING_INTERVAL_MS} ms, the first at once`, () => {
    const throttle = new TypingThrottle();
    assert.equal(throttle.due(1000), true);
    throttle.sent(1000);
    assert.equal(throttle.due(1000 + TYPING_INTERVAL_MS - 1), false);
    assert.equal(throttle.due(1000 + TYPING_INTERVAL_MS), true);
  });
});
