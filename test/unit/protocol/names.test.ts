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

    it('refuses every default-ignorable code point, fillers and tags included', () => {
      const ignorable = [
        0x00ad, 0x034f, 0x061c, 0x115f, 0x1160, 0x17b4, 0x180e, 0x200c, 0x2061, 0x2065, 0x206a, 0x206f, 0x3164,
        0xfe00, 0xfe0f, 0xffa0, 0x1bca0, 0x1d173, 0xe0000, 0xe0001, 0xe0041, 0xe007f, 0xe0100, 0xe01ef,
      ];
      for (const codePoint of ignorable) {
        assert.equal(checkName(`a${String.fromCodePoint(codePoint)}b`).ok, false, codePoint.toString(16));
      }
    });

    it('refuses format characters that are not default-ignorable', () => {
      for (const format of ['\ufff9', '\ufffa', '\ufffb', '\u070f', '\u{110bd}']) {
        assert.equal(checkName(`a${format}b`).ok, false, JSON.stringify(format));
      }
    });

    it('refuses the blank Braille pattern, which looks like a space', () => {
      assert.equal(checkName('a\u2800b').ok, false);
      assert.equal(checkName('\u2800').ok, false);
    });

    it('refuses private-use, unassigned, surrogate and separator code points', () => {
      for (const odd of ['\ue000', '\u{f0000}', '\u0378', '\u{10ffff}', '\ufffe', '\ud800', '\udc00', '\u2028', '\u2029']) {
        assert.equal(checkName(`a${odd}b`).ok, false, JSON.stringify(odd));
      }
    });

    it('refuses spaces other than U+0020', () => {
      for (const space of ['\u00a0', '\u2002', '\u2009', '\u202f', '\u205f', '\u3000']) {
        assert.equal(checkName(`a${space}b`).ok, false, JSON.stringify(space));
      }
    });

    it('accepts emoji that use variation selectors and joiners', () => {
      for (const name of ['\u2764\ufe0f Ann', '\u{1f469}\u200d\u{1f4bb} dev', '1\ufe0f\u20e3 one', '\u{1f44d}\u{1f3fd}', '\u{1f3f3}\ufe0f\u200d\u{1f308}']) {
        assert.equal(accepted(checkName(name)), name);
      }
    });

    it('refuses a variation selector or joiner outside an emoji sequence', () => {
      for (const name of ['a\ufe0fb', 'a\ufe0eb', '\u200d\u{1f469}', '\u{1f469}\u200d', 'a\u200d\u{1f469}', '1\ufe0f']) {
        assert.equal(checkName(name).ok, false, JSON.stringify(name));
      }
    });

    it('refuses more than four stacked accents, or one accent twice in a row', () => {
      assert.equal(checkName('Za\u0301\u0302\u0303\u0304\u0305').ok, false);
      assert.equal(checkName('Za\u0301\u0301').ok, false);
      assert.equal(accepted(checkName('Vi\u1ec7t')), 'Vi\u1ec7t'); // e + two different marks
      assert.equal(checkName('Za\u0301\u0302\u0303\u0304').ok, true);
    });

    it('says which character is refused, and why', () => {
      const reasons: [string, string][] = [
        ['a\u200bb', 'a name cannot contain an invisible character (U+200B)'],
        ['a\u202eb', 'a name cannot contain an invisible character (U+202E)'],
        ['a\u{e0041}b', 'a name cannot contain an invisible character (U+E0041)'],
        ['a\u0007b', 'a name cannot contain a control character (U+0007)'],
        ['a\u3000b', 'a name cannot contain a space other than the ordinary one (U+3000)'],
        ['a\ue000b', 'a name cannot contain a private-use character (U+E000)'],
        ['a\u0378b', 'a name cannot contain an unassigned code point (U+0378)'],
        ['a\ud800b', 'a name cannot contain a lone surrogate (U+D800)'],
        ['a\u2028b', 'a name cannot contain a line or paragraph separator (U+2028)'],
      ];
      for (const [name, reason] of reasons) assert.deepEqual(checkName(name), { ok: false, reason });
    });

    it('refuses letters from two scripts, naming them', () => {
      assert.deepEqual(checkName('\u0430lice'), { ok: false, reason: 'a name cannot mix Cyrillic and Latin letters' });
      assert.deepEqual(checkName('p\u0430ypal'), { ok: false, reason: 'a name cannot mix Latin and Cyrillic letters' });
      assert.deepEqual(checkName('\u0391nn'), { ok: false, reason: 'a name cannot mix Greek and Latin letters' });
    });

    it('accepts one script with digits, punctuation, emoji and accents', () => {
      for (const name of ['José', 'Zoë', '李小龍', 'Ölçek', 'Пётр', 'Ελένη', 'مرحبا', 'אבי 2', 'Ann-Lee 2024 🦊']) {
        assert.equal(accepted(checkName(name)), name);
      }
    });

    it('accepts Latin written with Japanese, Korean or Chinese scripts', () => {
      for (const name of ['田中Taro', 'Taro たなかタロウ', 'すずきー', '김민준 Kim', '金민준', '王小明ㄅㄆ']) {
        assert.equal(accepted(checkName(name)), name);
      }
    });

    it('refuses other mixtures, even of scripts that are allowed with Latin', () => {
      for (const name of ['김すず', 'ㄅㄆカ', 'Ann مرحبا', 'Ann Пётр']) {
        assert.equal(checkName(name).ok, false, name);
      }
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

    it('refuses a room name that mixes scripts or holds a filler letter', () => {
      assert.deepEqual(checkRoom('g\u0435neral'), { ok: false, reason: 'a room name cannot mix Latin and Cyrillic letters' });
      assert.equal(checkRoom('\u3164').ok, false); // HANGUL FILLER is a letter, and invisible
      assert.equal(checkRoom('a\u115fb').ok, false);
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
      assert.equal(nameKey('Пётр'), nameKey('ПЁТР'));
      assert.equal(nameKey('Straße'), nameKey('STRASSE'));
      assert.equal(nameKey('ΟΔΥΣΣΕΥΣ'), nameKey('οδυσσευς'));
    });

    it('makes composed and decomposed spellings clash', () => {
      assert.equal(nameKey('Zo\u00eb'), nameKey('Zoe\u0308'));
    });

    it('makes a name written in look-alike letters of another script clash with it', () => {
      assert.equal(nameKey('\u0440\u043e\u0440'), nameKey('pop')); // Cyrillic "рор"
      assert.equal(nameKey('\u0441\u043e\u0441\u043e'), nameKey('coco')); // Cyrillic "сосо"
      assert.equal(nameKey('\u0422\u041e\u041c'), nameKey('tom')); // Cyrillic "ТОМ"
      assert.equal(nameKey('\u0455\u0430\u0455\u04bb\u0430'), nameKey('Sasha')); // Cyrillic "ѕаѕһа"
      assert.equal(nameKey('\u039f\u03a7\u0391'), nameKey('oxa')); // Greek "ΟΧΑ"
    });

    it('makes capital I, small l and digit 1, and O and 0, clash', () => {
      assert.equal(nameKey('AIice'), nameKey('alice'));
      assert.equal(nameKey('A1ice'), nameKey('ALICE'));
      assert.equal(nameKey('b0b'), nameKey('Bob'));
    });

    it('makes full-width and mathematical letters clash with plain ones', () => {
      assert.equal(nameKey('\uff46\uff4f\uff58'), nameKey('fox'));
      assert.equal(nameKey('\u{1d41a}\u{1d427}\u{1d427}'), nameKey('ann'));
    });

    it('ignores invisible characters and counts a run of spaces as one', () => {
      assert.equal(nameKey('a\u200bnn'), nameKey('ann'));
      assert.equal(nameKey('\u2764\ufe0f Ann'), nameKey('\u2764 Ann'));
      assert.equal(nameKey('Ann  Lee'), nameKey('Ann Lee'));
    });

    it('keeps different names apart', () => {
      assert.notEqual(nameKey('ann'), nameKey('anne'));
      assert.notEqual(nameKey('ann'), nameKey('ann '));
      assert.notEqual(nameKey('José'), nameKey('Jose'));
      assert.notEqual(nameKey('Пётр'), nameKey('Петр'));
      assert.notEqual(nameKey('bob'), nameKey('rob'));
    });
  });
});
