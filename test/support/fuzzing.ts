/**
 * The machinery of the decoder fuzz properties: mutations of valid encodings (bit flips, overwrites, truncation,
 * insertion, deletion, splicing, length-field edits), known-valid inputs mixed among random ones, and a tally of
 * what a decoder accepted, so a property fails when the decoder refuses everything.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AUTH_TAG_BYTES, HEADER_BYTES } from '../../src/protocol/constants';
import { Flag } from '../../src/protocol/types';
import { concat } from './bytes';

// ---- mutations

export type Mutation = { kind: 'flip' | 'set' | 'truncate' | 'insert' | 'delete' | 'u16' | 'splice' | 'fixLength'; at: number; value: number };

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff, 0x20, 0x3a, 0xc0, 0xd8, 0xe0];

const mutation: fc.Arbitrary<Mutation> = fc.record(
  {
    kind: fc.constantFrom('flip', 'flip', 'set', 'set', 'truncate', 'insert', 'delete', 'u16', 'splice', 'fixLength'),
    at: fc.nat(),
    value: fc.nat(),
  },
  { noNullPrototype: true },
) as fc.Arbitrary<Mutation>;

/** Applies `mutations` to a copy of `bytes`; `other` is what a splice takes its tail from. */
export function mutate(bytes: Uint8Array, mutations: readonly Mutation[], other: Uint8Array, isDatagram: boolean): Uint8Array {
  let out: Uint8Array = bytes.slice();
  for (const { kind, at, value } of mutations) {
    const index = out.length === 0 ? 0 : at % out.length;
    switch (kind) {
      case 'flip':
        if (out.length > 0) out[index] = (out[index] as number) ^ (1 << (value % 8));
        break;
      case 'set':
        if (out.length > 0) out[index] = value % 2 === 0 ? (INTERESTING[value % INTERESTING.length] as number) : value & 0xff;
        break;
      case 'truncate':
        out = out.slice(0, at % (out.length + 1));
        break;
      case 'insert':
        out = concat(out.subarray(0, index), Uint8Array.of(value & 0xff), out.subarray(index));
        break;
      case 'delete':
        if (out.length > 0) out = concat(out.subarray(0, index), out.subarray(index + 1));
        break;
      case 'u16': {
        // A length field edit: somewhere (the header's body length, for datagrams, half the time), a boundary value.
        const where = isDatagram && value % 2 === 0 ? 6 : index;
        if (where + 2 > out.length) break;
        const candidates = [0, 1, out.length - HEADER_BYTES, out.length - HEADER_BYTES - 1, out.length - HEADER_BYTES + 1, out.length, 0xffff, value & 0xffff];
        new DataView(out.buffer, out.byteOffset).setUint16(where, (candidates[value % candidates.length] as number) & 0xffff);
        break;
      }
      case 'splice':
        out = concat(out.subarray(0, index), other.subarray(other.length === 0 ? 0 : value % other.length));
        break;
      case 'fixLength':
        // Make the header agree with the damaged body, so the body decoders see it instead of the length check.
        if (isDatagram && out.length >= HEADER_BYTES) {
          const tag = (out[4] as number) & Flag.Auth ? AUTH_TAG_BYTES : 0;
          new DataView(out.buffer, out.byteOffset).setUint16(6, Math.max(0, out.length - HEADER_BYTES - tag) & 0xffff);
        }
        break;
    }
  }
  return out;
}

const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });
/** One draw in six leaves the input alone: that input is known valid and must decode to what was encoded. */
export const mutationsOrNone = fc.oneof({ weight: 1, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 5, arbitrary: mutations });

// ---- counting what was accepted

/** Bytes to decode, and the value they encode when they are known valid. */
export interface Input<V> {
  bytes: Uint8Array;
  expected?: V;
}

/** Mixes one known-valid input into every five, so a decoder that refuses everything fails the property. */
export function withValid<V>(random: fc.Arbitrary<Uint8Array>, valid: fc.Arbitrary<Input<V>>): fc.Arbitrary<Input<V>> {
  return fc.oneof({ weight: 4, arbitrary: random.map((bytes): Input<V> => ({ bytes })) }, { weight: 1, arbitrary: valid });
}

/**
 * What one property fed its decoder and what the decoder accepted. Every known-valid input must be accepted (each
 * check asserts so); the tally adds that the property really drew enough of them, and, for inputs that are not
 * known valid, that the decoder accepted at least the share measured for its generator (halved for margin), so a
 * decoder that grew too strict shows up as well as one that accepts nothing.
 */
export class Tally {
  #inputs = 0;
  #valid = 0;
  #otherAccepted = 0;

  record(accepted: boolean, knownValid: boolean): void {
    this.#inputs++;
    if (knownValid) this.#valid++;
    else if (accepted) this.#otherAccepted++;
  }

  /** `minValidShare` of the inputs were known valid; `minOtherAcceptedShare` of the rest was accepted. */
  assertShares(minValidShare: number, minOtherAcceptedShare = 0): void {
    assert.ok(this.#inputs > 0, 'the property ran');
    const validShare = this.#valid / this.#inputs;
    assert.ok(validShare >= minValidShare, `only ${this.#valid} of ${this.#inputs} inputs were known valid`);
    const others = this.#inputs - this.#valid;
    const otherShare = others === 0 ? 0 : this.#otherAccepted / others;
    assert.ok(
      otherShare >= minOtherAcceptedShare,
      `the decoder accepted ${this.#otherAccepted} of ${others} other inputs (${(otherShare * 100).toFixed(2)} %), expected at least ${(minOtherAcceptedShare * 100).toFixed(1)} %`,
    );
  }
}

/** Runs `predicate` over `arbitrary` for `numRuns` and returns the tally it filled. */
export function tallied<V>(arbitrary: fc.Arbitrary<V>, numRuns: number, predicate: (value: V, tally: Tally) => void): Tally {
  const tally = new Tally();
  fc.assert(
    fc.property(arbitrary, (value) => predicate(value, tally)),
    { numRuns },
  );
  return tally;
}

/** Runs `check` over `numRuns` inputs, tallying what it accepted and which inputs were known valid. */
export function fuzzInputs<V>(
  inputs: fc.Arbitrary<Input<V>>,
  numRuns: number,
  check: (bytes: Uint8Array, expected: V | undefined) => boolean,
): Tally {
  return tallied(inputs, numRuns, ({ bytes, expected }, tally) => tally.record(check(bytes, expected), expected !== undefined));
}
