/**
 * Address validation cookies (QUIC's Retry token, RFC 9000 §8.1; DTLS's HelloVerifyRequest, RFC 6347 §4.2.1): a
 * Join that carries no valid cookie is answered with a Challenge carrying one, and only a Join that echoes it
 * gets any state or asymmetric crypto. The cookie is stateless: an HMAC over the address, the Join's client nonce
 * and a time slot, keyed with a secret that is replaced every slot, so only whoever receives datagrams at that
 * address can answer, and the relay stores nothing per unvalidated join. Pure: time comes in as `now` (ms).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long (ms) each secret is current; a cookie is accepted in its slot and the next (30 to 60 s). */
export const COOKIE_SLOT_MS = 30_000;
/** Bytes of the slot number at the front of a cookie (u32, big-endian). */
const SLOT_BYTES = 4;
/** Bytes of truncated HMAC-SHA256 (128 bits: a forger must guess it, at one Join per guess). */
const TAG_BYTES = 16;
/** Bytes of a cookie on the wire: 20, so a Challenge (73 bytes with the room salt) is no larger than any Join it answers (≥ 75). */
export const COOKIE_BYTES = SLOT_BYTES + TAG_BYTES;
/** Bytes of each slot's secret. */
const SECRET_BYTES = 32;

export type CookieVerdict = 'valid' | 'expired' | 'forged';

export class CookieJar {
  readonly #slotMs: number;
  readonly #random: (bytes: number) => Uint8Array;
  /** The secret of the current slot and of the one before it; older ones are gone, so their cookies are dead. */
  #secrets = new Map<number, Uint8Array>();

  constructor(options: { slotMs?: number; random?: (bytes: number) => Uint8Array } = {}) {
    this.#slotMs = Math.max(1, options.slotMs ?? COOKIE_SLOT_MS);
    this.#random = options.random ?? ((bytes) => randomBytes(bytes));
  }

  /** The cookie for a Join from `host:port` with `clientNonce`, at `now`. */
  issue(host: string, port: number, clientNonce: Uint8Array, now: number): Uint8Array {
    const slot = this.#slotOf(now);
    const cookie = new Uint8Array(COOKIE_BYTES);
    new DataView(cookie.buffer).setUint32(0, slot);
    cookie.set(this.#tag(this.#secretOf(slot, now), slot, host, port, clientNonce), SLOT_BYTES);
    return cookie;
  }

  /** Whether `cookie` was issued, this slot or the last, to `host:port` for a Join with `clientNonce`. */
  check(cookie: Uint8Array, host: string, port: number, clientNonce: Uint8Array, now: number): CookieVerdict {
    if (cookie.length !== COOKIE_BYTES) return 'forged';
    const slot = new DataView(cookie.buffer, cookie.byteOffset, cookie.byteLength).getUint32(0);
    const current = this.#slotOf(now);
    this.#rotate(current);
    const secret = slot === current || slot === ((current - 1) >>> 0) ? this.#secrets.get(slot) : undefined;
    if (!secret) return slot === current || slot === ((current - 1) >>> 0) ? 'forged' : 'expired';
    const expected = this.#tag(secret, slot, host, port, clientNonce);
    return timingSafeEqual(expected, cookie.subarray(SLOT_BYTES)) ? 'valid' : 'forged';
  }

  #slotOf(now: number): number {
    return Math.floor(now / this.#slotMs) >>> 0;
  }

  #secretOf(slot: number, now: number): Uint8Array {
    this.#rotate(this.#slotOf(now));
    let secret = this.#secrets.get(slot);
    if (!secret) {
      secret = this.#random(SECRET_BYTES);
      this.#secrets.set(slot, secret);
    }
    return secret;
  }

  /** Forgets every secret older than the previous slot: at most two are ever held. */
  #rotate(current: number): void {
    for (const slot of this.#secrets.keys()) {
      if (slot !== current && slot !== ((current - 1) >>> 0)) this.#secrets.delete(slot);
    }
  }

  #tag(secret: Uint8Array, slot: number, host: string, port: number, clientNonce: Uint8Array): Uint8Array {
    const header = new Uint8Array(SLOT_BYTES + 2);
    const view = new DataView(header.buffer);
    view.setUint32(0, slot);
    view.setUint16(SLOT_BYTES, port & 0xffff);
    // The host is the address text the socket reported, NUL-terminated so "1.2.3.4" + port cannot collide.
    return createHmac('sha256', secret).update(header).update(clientNonce).update(`${host}\0`).digest().subarray(0, TAG_BYTES);
  }
}
