/**
 * What the relay may send to a legacy address, which no cookie can validate (the classic client cannot answer
 * one): at most three times the bytes that address has sent (RFC 9000 §8's anti-amplification factor, applied to
 * the whole life of the member, not only its first flight). Each datagram a legacy member sends earns credit; each
 * datagram sent to it spends some; what does not fit is not sent. Pure: byte counts in, verdicts out.
 */

/** Bytes the relay may send per byte received from a legacy address. */
export const LEGACY_AMPLIFICATION_FACTOR = 3;
/**
 * The most credit (bytes) an address can hold: what a burst of typing long ago buys later is bounded (about forty
 * lines of others' chat), so an address that went quiet stops receiving soon after.
 */
export const MAX_LEGACY_CREDIT_BYTES = 3 * 4096;

export class LegacyCredit {
  readonly #credit = new Map<number, number>();

  /** Member `id` sent a datagram of `bytes`. */
  earn(id: number, bytes: number): void {
    const credit = (this.#credit.get(id) ?? 0) + LEGACY_AMPLIFICATION_FACTOR * bytes;
    this.#credit.set(id, Math.min(MAX_LEGACY_CREDIT_BYTES, credit));
  }

  /** True (and spent) when member `id` may be sent `bytes` more. */
  spend(id: number, bytes: number): boolean {
    const credit = this.#credit.get(id) ?? 0;
    if (credit < bytes) return false;
    this.#credit.set(id, credit - bytes);
    return true;
  }

  /** The credit member `id` holds (bytes). */
  of(id: number): number {
    return this.#credit.get(id) ?? 0;
  }

  forget(id: number): void {
    this.#credit.delete(id);
  }
}
