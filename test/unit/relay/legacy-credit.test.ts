import assert from 'node:assert/strict';
import { LEGACY_AMPLIFICATION_FACTOR, LegacyCredit, MAX_LEGACY_CREDIT_BYTES } from '../../../src/relay/legacy-credit';

describe('relay/legacy-credit', () => {
  it('lets an address be sent three times what it sent, and not a byte more', () => {
    const credit = new LegacyCredit();
    credit.earn(7, 100);
    assert.equal(credit.spend(7, 3 * 100 - 50), true);
    assert.equal(credit.spend(7, 51), false, 'a refused spend takes nothing');
    assert.equal(credit.spend(7, 50), true);
    assert.equal(credit.spend(7, 1), false);
  });

  it('gives nothing to an address that sent nothing', () => {
    assert.equal(new LegacyCredit().spend(7, 1), false);
  });

  it('caps the credit, however much the address sent long ago', () => {
    const credit = new LegacyCredit();
    for (let i = 0; i < 1000; i++) credit.earn(7, 1000);
    assert.equal(credit.of(7), MAX_LEGACY_CREDIT_BYTES);
    assert.ok(MAX_LEGACY_CREDIT_BYTES >= LEGACY_AMPLIFICATION_FACTOR * 1500, 'a full datagram still buys three of its size');
  });

  it('keeps members apart and forgets one that left', () => {
    const credit = new LegacyCredit();
    credit.earn(7, 10);
    credit.earn(8, 20);
    assert.equal(credit.of(7), 30);
    assert.equal(credit.of(8), 60);
    credit.forget(7);
    assert.equal(credit.spend(7, 1), false);
    assert.equal(credit.of(8), 60);
  });
});
