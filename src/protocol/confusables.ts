/**
 * When two names look alike. The idea and the data are Unicode's (UTS #39, "Unicode Security Mechanisms",
 * section 4): each character maps to a prototype it can be mistaken for, and two strings whose mapped forms (their
 * skeletons) are equal are confusable. The mapping is confusables.txt (Unicode 13.0, 6,311 entries) as the
 * `unhomoglyph` package ships it; `skeleton` applies it the way UTS #39 says: NFD, map, NFD.
 */

/**
 * One code point (a confusables.txt source) to the string it looks like, loaded on first use. The parsed object
 * itself, without a prototype (so no key can find Object.prototype's members): copying it into a Map doubled the
 * first use (~7 ms to parse, ~10 ms more to build the Map), and the first use is a join, in the extension host.
 */
let prototypes: Readonly<Record<string, string | undefined>> | undefined;

function prototypeTable(): Readonly<Record<string, string | undefined>> {
  // A require, not an import, so that the bundle evaluates the 6,311-entry table only when a name is first keyed.
  prototypes ??= Object.setPrototypeOf(require('unhomoglyph/data.json') as Record<string, string>, null) as Record<string, string | undefined>;
  return prototypes;
}

/** The UTS #39 skeleton: NFD, each code point replaced by its prototype, NFD again. Case is kept. */
export function skeleton(text: string): string {
  const table = prototypeTable();
  let mapped = '';
  for (const char of text.normalize('NFD')) mapped += table[char] ?? char;
  return mapped.normalize('NFD');
}

const ASCII = /^[\u0000-\u007f]*$/;

/**
 * One character's share of the key. Case must not matter and neither may look-alikes, yet confusables.txt is
 * written for one case at a time: Cyrillic "Т" looks like "T" but "т" not like "t"; capital "I" looks like "l".
 * So both the upper-case and the lower-case form are mapped, and the upper-case result wins when it lands in
 * ASCII (it catches "ТОМ"/"TOM" and "AIice"/"Alice"), the lower-case one otherwise (it catches "һ"/"h", whose
 * capital looks like nothing Latin). Either way the choice depends only on the character's case-insensitive
 * identity (its upper case), so names that differ only in case keep one key. The price: "i" and "l" are one letter.
 */
function characterKey(char: string): string {
  // Both forms start from the upper case, so "ς" and "σ" (one capital, "Σ") keep one key too.
  const upper = char.toUpperCase();
  const fromUpper = skeleton(upper).toLowerCase();
  if (ASCII.test(fromUpper)) return fromUpper;
  return skeleton(upper.toLowerCase()).toLowerCase();
}

/** Invisible characters (zero-width, variation selectors, joiners): a name with or without them looks the same. */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The key under which names clash: NFKC (so full-width and mathematical letters are their plain selves), without
 * invisible characters, then each character mapped as above, then NFD, with runs of white space counted as one.
 */
export function confusableKey(name: string): string {
  let key = '';
  for (const char of name.normalize('NFKC').replace(INVISIBLE, '')) key += characterKey(char);
  return key.normalize('NFD').replace(/\s+/gu, ' ');
}
