import assert from 'node:assert/strict';
import { checkName, checkRoom, nameKey } from '../../../src/protocol/names';

function accepted(check: { ok: true; value: string } | { ok: false; reason: string }): string {
  if (!check.ok) assert.fail(`refused: ${check.reason}`);
  return check.value;
}

describe('protocol/names', () => {
  describe('checkName', () => {
    it('accepts an ordinary name unchanged', () => {
      assert.equal(accepted(checkName('Ann')), 'Ann');
    });

    it('trims surrounding whitespace', () => {
      assert.equal(accepted(checkName('  ann \t')), 'ann');
    });

    it('keeps inner spaces, punctuation, emoji and ": "', () => {
      for (const name of ['Ann Lee', 'IMG', 'a: b', 'O’Brien', '🦊 fox', 'Zoë', 'مرحبا', '中文名字']) {
        assert.equal(accepted(checkName(name)), name);
      }
    });

    it('normalizes to NFC', () => {
      assert.equal(accepted(checkName('Zoe\u0308')), 'Zo\u00eb');
    });

    it('refuses an empty or all-whitespace name', () => {
      assert.equal(checkName('').ok, false);
      assert.equal(checkName('   ').ok, false);
      assert.equal(checkName('\n\t').ok, false);
    });

    it('accepts 32 bytes of UTF-8 and refuses 33', () => {
      assert.equal(checkName('a'.repeat(32)).ok, true);
      assert.equal(checkName('a'.repeat(33)).ok, false);
    });

    it('counts the limit in bytes, not characters', () => {
      assert.equal(checkName('€'.repeat(10)).ok, true); // 30 bytes
      assert.equal(checkName('€'.repeat(11)).ok, false); // 33 bytes, 11 characters
      assert.equal(checkName('😀'.repeat(9)).ok, false); // 36 bytes
    });

    it('measures the length after normalizing', () => {
      // 16 decomposed "é" are 48 bytes; composed they are 32.
      assert.equal(accepted(checkName('e\u0301'.repeat(16))), '\u00e9'.repeat(16));
    });

    it('refuses control characters', () => {
      for (const control of ['\u0000', '\u0007', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009f']) {
        assert.equal(checkName(`a${control}b`).ok, false, JSON.stringify(control));
      }
    });

    it('refuses invisible and direction-changing characters', () => {
      for (const hidden of ['\u200b', '\u200d', '\u200e', '\u200f', '\u202a', '\u202e', '\u2060', '\u2066', '\u2069', '\ufeff']) {
        assert.equal(checkName(`a${hidden}b`).ok, false, JSON.stringify(hidden));
      }
    });

    it('says why a name is refused', () => {
      const check = checkName('a\u202eb');
      assert.equal(check.ok, false);
      assert.match((check as { reason: string }).reason, /control or invisible/);
    });
  });

  describe('checkRoom', () => {
    it('lower-cases and trims', () => {
      assert.equal(accepted(checkRoom('  General ')), 'general');
    });

    it('accepts letters of any script, digits, dots, underscores and dashes', () => {
      for (const room of ['general', 'team-1', 'a.b_c', 'général', 'комната', '部屋', '2024']) {
        assert.equal(accepted(checkRoom(room)), room);
      }
    });

    it('refuses spaces, slashes, colons, emoji and other symbols', () => {
      for (const room of ['my room', 'a/b', 'a\\b', 'a:b', '🦊', 'a#b', 'a\u200bb', '../x']) {
        assert.equal(checkRoom(room).ok, false, room);
      }
    });

    it('refuses an empty room name', () => {
      assert.equal(checkRoom('').ok, false);
      assert.equal(checkRoom('  ').ok, false);
    });

    it('accepts 32 bytes and refuses 33', () => {
      assert.equal(checkRoom('r'.repeat(32)).ok, true);
      assert.equal(checkRoom('r'.repeat(33)).ok, false);
      assert.equal(checkRoom('é'.repeat(17)).ok, false); // 34 bytes
    });
  });

  describe('nameKey', () => {
    it('makes names that differ only in case clash', () => {
      assert.equal(nameKey('Ann'), nameKey('ANN'));
      assert.equal(nameKey('Zoë'), nameKey('ZOË'));
    });

    it('makes composed and decomposed spellings clash', () => {
      assert.equal(nameKey('Zo\u00eb'), nameKey('Zoe\u0308'));
    });

    it('keeps different names apart', () => {
      assert.notEqual(nameKey('ann'), nameKey('anne'));
      assert.notEqual(nameKey('ann'), nameKey('ann '));
    });
  });
});
