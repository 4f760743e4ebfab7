import assert from 'node:assert/strict';
import { checkEmoji, MAX_EMOJI_BYTES } from '../../../src/protocol/emoji';

describe('protocol/emoji', () => {
  for (const emoji of ['👍', '❤️', '👩‍💻', '👍🏽', '🇫🇷', '1️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '👨‍👩‍👧‍👦', 'a', '+']) {
    it(`accepts ${JSON.stringify(emoji)}, one character as shown`, () => {
      assert.deepEqual(checkEmoji(emoji), { ok: true, value: emoji });
    });
  }

  for (const [what, emoji] of [
    ['nothing', ''],
    ['two emoji', '👍👍'],
    ['a word', 'ok'],
    ['a space', ' '],
    ['an emoji and a space', '👍 '],
    ['a control character', '\u0007'],
    ['a right-to-left override', '\u202e'],
    ['a zero-width space', '\u200b'],
    ['a private-use character', '\ue000'],
    ['a lone surrogate', '\ud83d'],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.equal(checkEmoji(emoji).ok, false);
    });
  }

  it(`refuses more than ${MAX_EMOJI_BYTES} bytes, even as one character`, () => {
    const long = `e${'\u0301'.repeat(16)}`; // one grapheme cluster of 33 bytes
    assert.equal(Buffer.byteLength(long), 33);
    assert.match((checkEmoji(long) as { reason: string }).reason, /at most 32 bytes/);
  });
});
