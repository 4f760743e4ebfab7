import assert from 'node:assert/strict';
import { chatSeen, notifyOn, shouldNotify } from '../../../src/extension/notification-policy';

const hidden = { chatVisible: false, windowFocused: true };
const seen = { chatVisible: true, windowFocused: true };
const visibleUnfocused = { chatVisible: true, windowFocused: false };

describe('extension/notification-policy', () => {
  it('"mentions" notifies of a mention of you while the chat is hidden, not of other messages', () => {
    assert.equal(shouldNotify('mentions', { mentionsMe: true }, hidden), true);
    assert.equal(shouldNotify('mentions', { mentionsMe: false }, hidden), false);
  });

  it('a mention notifies while the chat is visible but the window is not focused', () => {
    assert.equal(chatSeen(visibleUnfocused), false);
    assert.equal(shouldNotify('mentions', { mentionsMe: true }, visibleUnfocused), true);
  });

  it('nothing notifies while the chat is seen (visible in the focused window)', () => {
    assert.equal(shouldNotify('all', { mentionsMe: true }, seen), false);
    assert.equal(shouldNotify('mentions', { mentionsMe: true }, seen), false);
  });

  it('"all" notifies of every message while unseen; "off" of none', () => {
    assert.equal(shouldNotify('all', { mentionsMe: false }, hidden), true);
    assert.equal(shouldNotify('all', { mentionsMe: false }, visibleUnfocused), true);
    assert.equal(shouldNotify('off', { mentionsMe: true }, hidden), false);
  });

  it('reads the former values as their current equivalents, and anything else as the default', () => {
    assert.equal(notifyOn('whenHidden'), 'all');
    assert.equal(notifyOn('always'), 'all');
    assert.equal(notifyOn('never'), 'off');
    assert.equal(notifyOn('all'), 'all');
    assert.equal(notifyOn('off'), 'off');
    assert.equal(notifyOn('mentions'), 'mentions');
    assert.equal(notifyOn('constructor'), 'mentions');
    assert.equal(notifyOn(undefined), 'mentions');
    assert.equal(notifyOn(3), 'mentions');
  });
});
