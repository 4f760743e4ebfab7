import assert from 'node:assert/strict';
import fc from 'fast-check';
import { confusableKey, skeleton } from '../../../src/protocol/confusables';

/** Letters of the scripts whose look-alikes matter most, in both cases (and Greek final sigma, ß, ſ). */
const LETTERS = [
  ...'abcdefghijklmnopqrstuvwxyzßſàéîõüçñøåæœ',
  ...'абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґѕјһԁ',
  ...'αβγδεζηθικλμνξοπρσςτυφχψω',
];

describe('protocol/confusables', () => {
  describe('skeleton', () => {
    it('maps each character to the prototype confusables.txt gives it', () => {
      assert.equal(skeleton('\u0440\u0430ypal'), 'paypal'); // Cyrillic р and а
      assert.equal(skeleton('\u{1d5c9}\u{1d5ba}\u{1d5d2}'), 'pay'); // mathematical sans-serif
      assert.equal(skeleton('I'), 'l');
      assert.equal(skeleton('0'), 'O');
    });

    it('keeps case, as UTS #39 defines it', () => {
      assert.notEqual(skeleton('Ann'), skeleton('ann'));
    });

    it('gives composed and decomposed spellings one skeleton', () => {
      assert.equal(skeleton('\u00e9'), skeleton('e\u0301'));
    });

    it('decomposes before mapping, so an accented look-alike maps through its base letter', () => {
      assert.equal(skeleton('\u04e7'), skeleton('\u00f6')); // Cyrillic ӧ is Cyrillic о + diaeresis
    });

    it('decomposes after mapping, so a prototype that is not in NFD still compares equal', () => {
      assert.equal(skeleton('\u320e'), skeleton('(\uac00)')); // PARENTHESIZED HANGUL KIYEOK A maps to "(가)"
    });

    it('leaves characters without a prototype as they are (in NFD)', () => {
      assert.equal(skeleton('top'), 'top');
      assert.equal(skeleton('李小龍'), '李小龍');
    });
  });

  describe('confusableKey', () => {
    it('gives a name in upper and in lower case one key', () => {
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...LETTERS), { minLength: 1, maxLength: 12 }), (letters) => {
          const name = letters.join('');
          const key = confusableKey(name);
          assert.equal(confusableKey(name.toUpperCase()), key, name);
          assert.equal(confusableKey(name.toLowerCase()), key, name);
        }),
      );
    });

    it('gives a key the key it is: mapping twice changes nothing', () => {
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...LETTERS), { minLength: 1, maxLength: 12 }), (letters) => {
          const key = confusableKey(letters.join(''));
          assert.equal(confusableKey(key), key);
        }),
      );
    });
  });
});
