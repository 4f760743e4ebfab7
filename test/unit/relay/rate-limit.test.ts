import assert from 'node:assert/strict';
import { KeyedRateLimiter, TokenBucket } from '../../../src/relay/rate-limit';

describe('relay/rate-limit', () => {
  describe('TokenBucket', () => {
    it('starts full and allows a burst of exactly its size', () => {
      const bucket = new TokenBucket(10, 5, 0);
      for (let i = 0; i < 5; i++) assert.equal(bucket.take(0), true, `token ${i + 1}`);
      assert.equal(bucket.take(0), false);
    });

    it('refills at its rate per second', () => {
      const bucket = new TokenBucket(10, 5, 0); // one token per 100 ms
      for (let i = 0; i < 5; i++) bucket.take(0);
      assert.equal(bucket.take(99), false);
      assert.equal(bucket.take(100), true);
      assert.equal(bucket.take(150), false);
      assert.equal(bucket.take(200), true);
    });

    it('never holds more than its burst, however long it waits', () => {
      const bucket = new TokenBucket(10, 3, 0);
      bucket.take(0);
      let taken = 0;
      while (bucket.take(1_000_000)) taken++;
      assert.equal(taken, 3);
    });

    it('takes several tokens at once only when it has them all', () => {
      const bucket = new TokenBucket(10, 5, 0);
      assert.equal(bucket.take(0, 3), true);
      assert.equal(bucket.take(0, 3), false);
      assert.equal(bucket.take(0, 2), true, 'a refused take leaves the tokens in place');
      assert.equal(bucket.take(0), false);
    });

    it('never allows a take larger than the burst', () => {
      assert.equal(new TokenBucket(1000, 5, 0).take(10_000, 6), false);
    });

    it('accumulates fractions of a token', () => {
      const bucket = new TokenBucket(1, 1, 0);
      bucket.take(0);
      // Quarter steps add up exactly in binary floating point (ten 0.1-token steps fall just short of 1).
      for (let t = 250; t < 1000; t += 250) assert.equal(bucket.take(t), false);
      assert.equal(bucket.take(1000), true);
    });

    it('ignores a clock that goes backwards', () => {
      const bucket = new TokenBucket(10, 2, 1000);
      bucket.take(1000);
      bucket.take(1000);
      assert.equal(bucket.take(500), false);
      assert.equal(bucket.take(1100), true);
    });

    it('reports when it is full again', () => {
      const bucket = new TokenBucket(10, 2, 0);
      assert.equal(bucket.isFull(0), true);
      bucket.take(0);
      assert.equal(bucket.isFull(50), false);
      assert.equal(bucket.isFull(100), true);
    });
  });

  describe('KeyedRateLimiter', () => {
    it('gives each key its own bucket', () => {
      const limiter = new KeyedRateLimiter(1, 2, 10);
      assert.equal(limiter.allow('a', 0), true);
      assert.equal(limiter.allow('a', 0), true);
      assert.equal(limiter.allow('a', 0), false);
      assert.equal(limiter.allow('b', 0), true);
      assert.equal(limiter.size, 2);
    });

    it('passes the count through to the bucket', () => {
      const limiter = new KeyedRateLimiter(1, 4, 10);
      assert.equal(limiter.allow('a', 0, 3), true);
      assert.equal(limiter.allow('a', 0, 2), false);
    });

    it('refuses a new key when it holds its limit of busy keys', () => {
      const limiter = new KeyedRateLimiter(1, 2, 2);
      limiter.allow('a', 0);
      limiter.allow('b', 0);
      assert.equal(limiter.allow('c', 0), false);
      assert.equal(limiter.size, 2);
      assert.equal(limiter.allow('a', 0), true, 'known keys keep their buckets');
    });

    it('makes room for a new key by forgetting buckets that have refilled', () => {
      const limiter = new KeyedRateLimiter(10, 1, 2);
      limiter.allow('a', 0);
      limiter.allow('b', 0);
      assert.equal(limiter.allow('c', 100), true); // a and b are full again after 100 ms
      assert.equal(limiter.size, 1);
    });

    it('prunes only full buckets', () => {
      const limiter = new KeyedRateLimiter(10, 2, 10);
      limiter.allow('a', 0);
      limiter.allow('b', 0, 2);
      limiter.prune(100); // a refilled one token and is full; b has one of two
      assert.equal(limiter.size, 1);
      assert.equal(limiter.allow('b', 100), true);
      assert.equal(limiter.allow('b', 100), false, 'b kept its state');
    });

    it('forgets nothing a fresh bucket would not also allow', () => {
      const limiter = new KeyedRateLimiter(10, 3, 10);
      limiter.allow('a', 0, 3);
      limiter.prune(50);
      assert.equal(limiter.allow('a', 50), false, 'a half-refilled bucket is not pruned');
    });

    it('never holds more keys than its cap', () => {
      const limiter = new KeyedRateLimiter(1, 1, 5);
      for (let i = 0; i < 100; i++) limiter.allow(`k${i}`, i);
      assert.ok(limiter.size <= 5);
    });
  });
});
