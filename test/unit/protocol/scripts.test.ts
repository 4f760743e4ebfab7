import assert from 'node:assert/strict';
import { mixedScripts } from '../../../src/protocol/scripts';

describe('protocol/scripts', () => {
  it('accepts text in one script', () => {
    for (const text of ['alice', 'Пётр', 'Ελένη', 'עברית', 'ภาษาไทย', 'ᏣᎳᎩ']) assert.equal(mixedScripts(text), undefined, text);
  });

  it('ignores characters common to all scripts and inherited marks', () => {
    for (const text of ['', '2024', '...', '🦊', 'x\u0300', 'Ann Lee 42!']) assert.equal(mixedScripts(text), undefined, text);
  });

  it('counts a character for every script of its Script_Extensions', () => {
    assert.equal(mixedScripts('スズキー'), undefined); // U+30FC is Hiragana and Katakana
    assert.equal(mixedScripts('नमस्ते।'), undefined); // U+0964 DANDA serves Devanagari among others
    assert.equal(mixedScripts('ーカ'), undefined); // also when it comes first
    assert.equal(mixedScripts('ー\u0431'), 'mix Hiragana and Cyrillic letters');
  });

  it('accepts Latin with Han and Hiragana/Katakana, with Han and Hangul, with Han and Bopomofo', () => {
    for (const text of ['Taro田中たなかタナカ', 'Kim金민준', 'Wang王ㄅㄆ']) assert.equal(mixedScripts(text), undefined, text);
  });

  it('names the first two scripts it finds mixed', () => {
    assert.equal(mixedScripts('\u0430lice'), 'mix Cyrillic and Latin letters');
    assert.equal(mixedScripts('ab\u03b3\u0564'), 'mix Latin and Greek letters');
    assert.equal(mixedScripts('민준カ'), 'mix Hangul and Katakana letters');
  });

  it('accepts each assigned code point on its own: every script of this runtime is known', () => {
    const unknown: string[] = [];
    for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
      const char = String.fromCodePoint(codePoint);
      if (/[\p{Cn}\p{Co}]/u.test(char)) continue;
      if (mixedScripts(char) !== undefined) unknown.push(codePoint.toString(16));
    }
    assert.deepEqual(unknown.slice(0, 10), []);
  });
});
