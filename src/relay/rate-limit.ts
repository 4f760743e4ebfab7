/** Token buckets, pure: time (ms) is an argument. Used to cap how much any one source can make the relay do. */

export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  #tokens: number;
  #updatedAt: number;

  /** `ratePerSecond` tokens refill each second, up to `burst`; the bucket starts full. */
  constructor(ratePerSecond: number, burst: number, now: number) {
    this.#ratePerMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  /** Takes `count` tokens if there are that many; false (and nothing taken) otherwise. */
  take(now: number, count = 1): boolean {
    this.#refill(now);
    if (this.#tokens < count) return false;
    this.#tokens -= count;
    return true;
  }

  /** True when the bucket is full again, i.e. forgetting it changes nothing. */
  isFull(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#burst;
  }

  #refill(now: number): void {
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs);
      this.#updatedAt = now;
    }
  }
}

/** One bucket per key (e.g. per source address), holding at most `maxKeys` buckets. */
export class KeyedRateLimiter {
  readonly #ratePerSecond: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(ratePerSecond: number, burst: number, maxKeys: number) {
    this.#ratePerSecond = ratePerSecond;
    this.#burst = burst;
    this.#maxKeys = maxKeys;
  }

  get size(): number {
    return this.#buckets.size;
  }

  allow(key: string, now: number, count = 1): boolean {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxKeys) this.prune(now);
      // Still full of distinct sources: refuse newcomers rather than grow without bound.
      if (this.#buckets.size >= this.#maxKeys) return false;
      bucket = new TokenBucket(this.#ratePerSecond, this.#burst, now);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(now, count);
  }

  /** Forgets buckets that have refilled completely. */
  prune(now: number): void {
    for (const [key, bucket] of this.#buckets) if (bucket.isFull(now)) this.#buckets.delete(key);
  }
}
