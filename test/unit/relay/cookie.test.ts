import assert from 'node:assert/strict';
import { COOKIE_BYTES, COOKIE_SLOT_MS, CookieJar } from '../../../src/relay/cookie';

const NONCE = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const OTHER_NONCE = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 9]);
/** The start of a slot (ms). */
const T0 = 1000 * COOKIE_SLOT_MS;

describe('relay/cookie', () => {
  it('accepts its cookie from the same address and nonce, in its slot and the next', () => {
    const jar = new CookieJar();
    const cookie = jar.issue('10.0.0.1', 4000, NONCE, T0);
    assert.equal(cookie.length, COOKIE_BYTES);
    assert.equal(jar.check(cookie, '10.0.0.1', 4000, NONCE, T0), 'valid');
    assert.equal(jar.check(cookie, '10.0.0.1', 4000, NONCE, T0 + 2 * COOKIE_SLOT_MS - 1), 'valid');
  });

  it('calls a cookie older than the previous slot expired', () => {
    const jar = new CookieJar();
    const cookie = jar.issue('10.0.0.1', 4000, NONCE, T0);
    assert.equal(jar.check(cookie, '10.0.0.1', 4000, NONCE, T0 + 2 * COOKIE_SLOT_MS), 'expired');
  });

  it('refuses its cookie for another host, another port or another nonce', () => {
    const jar = new CookieJar();
    const cookie = jar.issue('10.0.0.1', 4000, NONCE, T0);
    assert.equal(jar.check(cookie, '10.0.0.2', 4000, NONCE, T0), 'forged');
    assert.equal(jar.check(cookie, '10.0.0.1', 4001, NONCE, T0), 'forged');
    assert.equal(jar.check(cookie, '10.0.0.1', 4000, OTHER_NONCE, T0), 'forged');
  });

  it('refuses a cookie with one bit flipped, a truncated one, and one naming a slot it holds no secret for', () => {
    const jar = new CookieJar();
    const cookie = jar.issue('10.0.0.1', 4000, NONCE, T0);
    const flipped = Uint8Array.from(cookie);
    flipped[COOKIE_BYTES - 1] = (flipped[COOKIE_BYTES - 1] as number) ^ 1;
    assert.equal(jar.check(flipped, '10.0.0.1', 4000, NONCE, T0), 'forged');
    assert.equal(jar.check(cookie.subarray(0, COOKIE_BYTES - 1), '10.0.0.1', 4000, NONCE, T0), 'forged');
    // The next slot's number with a made-up tag: the relay never had that secret when the cookie was made.
    const ahead = Uint8Array.from(cookie);
    new DataView(ahead.buffer).setUint32(0, new DataView(cookie.buffer).getUint32(0) + 1);
    assert.equal(jar.check(ahead, '10.0.0.1', 4000, NONCE, T0 + COOKIE_SLOT_MS), 'forged');
  });

  it('refuses a cookie of another relay (another secret), byte for byte the same inputs', () => {
    const ours = new CookieJar();
    const theirs = new CookieJar();
    assert.equal(ours.check(theirs.issue('10.0.0.1', 4000, NONCE, T0), '10.0.0.1', 4000, NONCE, T0), 'forged');
  });

  it('draws a new secret each slot and keeps only the current and the previous one', () => {
    let draws = 0;
    const jar = new CookieJar({ random: (bytes) => new Uint8Array(bytes).fill(++draws) });
    const first = jar.issue('10.0.0.1', 4000, NONCE, T0);
    jar.issue('10.0.0.1', 4000, NONCE, T0 + 1);
    assert.equal(draws, 1, 'one secret per slot');
    const second = jar.issue('10.0.0.1', 4000, NONCE, T0 + COOKIE_SLOT_MS);
    assert.equal(draws, 2);
    assert.notDeepEqual(first.subarray(4), second.subarray(4));
    assert.equal(jar.check(first, '10.0.0.1', 4000, NONCE, T0 + COOKIE_SLOT_MS), 'valid');
    jar.issue('10.0.0.1', 4000, NONCE, T0 + 2 * COOKIE_SLOT_MS);
    assert.equal(jar.check(first, '10.0.0.1', 4000, NONCE, T0 + 2 * COOKIE_SLOT_MS), 'expired');
    assert.equal(jar.check(second, '10.0.0.1', 4000, NONCE, T0 + 2 * COOKIE_SLOT_MS), 'valid');
  });
});
