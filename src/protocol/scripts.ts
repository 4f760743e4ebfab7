/**
 * Which scripts a name may mix: UTS #39's "Highly Restrictive" level (section 5.2). A name's letters come from
 * one script, or from Latin with the scripts written together in Japanese (Han, Hiragana, Katakana), Korean (Han,
 * Hangul) or Chinese (Han, Bopomofo). Common characters (digits, punctuation, emoji, spaces) and inherited ones
 * (combining accents) go with any script. A character belongs to every script of its Script_Extensions, so "ー"
 * (used in Hiragana and Katakana) fits both.
 */

/**
 * ISO 15924 codes of the scripts Unicode 17 knows, most common first (the check stops at the first match).
 * Common (Zyyy) and Inherited (Zinh) are not here: they are never what a name is "written in".
 */
const SCRIPT_CODES = [
  'Latn', 'Cyrl', 'Grek', 'Hani', 'Hira', 'Kana', 'Hang', 'Bopo', 'Arab', 'Hebr', 'Deva', 'Beng', 'Thai', 'Armn',
  'Geor', 'Ethi', 'Taml', 'Telu', 'Knda', 'Mlym', 'Gujr', 'Guru', 'Orya', 'Sinh', 'Khmr', 'Laoo', 'Mymr', 'Tibt',
  'Mong', 'Syrc', 'Thaa', 'Cher', 'Cans', 'Tfng', 'Yiii', 'Vaii', 'Nkoo', 'Adlm', 'Olck', 'Java', 'Bali', 'Sund',
  'Copt', 'Glag', 'Goth', 'Runr', 'Ogam', 'Brai', 'Aghb', 'Ahom', 'Armi', 'Avst', 'Bamu', 'Bass', 'Batk', 'Berf',
  'Bhks', 'Brah', 'Bugi', 'Buhd', 'Cakm', 'Cari', 'Cham', 'Chrs', 'Cpmn', 'Cprt', 'Diak', 'Dogr', 'Dsrt', 'Dupl',
  'Egyp', 'Elba', 'Elym', 'Gara', 'Gong', 'Gonm', 'Gran', 'Gukh', 'Hano', 'Hatr', 'Hluw', 'Hmng', 'Hmnp', 'Hung',
  'Ital', 'Kali', 'Kawi', 'Khar', 'Khoj', 'Kits', 'Krai', 'Kthi', 'Lana', 'Lepc', 'Limb', 'Lina', 'Linb', 'Lisu',
  'Lyci', 'Lydi', 'Mahj', 'Maka', 'Mand', 'Mani', 'Marc', 'Medf', 'Mend', 'Merc', 'Mero', 'Miao', 'Modi', 'Mroo',
  'Mtei', 'Mult', 'Nagm', 'Nand', 'Narb', 'Nbat', 'Newa', 'Nshu', 'Onao', 'Orkh', 'Osge', 'Osma', 'Ougr', 'Palm',
  'Pauc', 'Perm', 'Phag', 'Phli', 'Phlp', 'Phnx', 'Plrd', 'Prti', 'Rjng', 'Rohg', 'Samr', 'Sarb', 'Saur', 'Sgnw',
  'Shaw', 'Shrd', 'Sidd', 'Sidt', 'Sind', 'Sogd', 'Sogo', 'Sora', 'Soyo', 'Sunu', 'Sylo', 'Tagb', 'Takr', 'Tale',
  'Talu', 'Tang', 'Tavt', 'Tayo', 'Tglg', 'Tirh', 'Tnsa', 'Todr', 'Tols', 'Toto', 'Tutg', 'Ugar', 'Vith', 'Wara',
  'Wcho', 'Xpeo', 'Xsux', 'Yezi', 'Zanb',
] as const;

/** The script combinations UTS #39 allows besides a single script: Latin with Japanese, Korean or Chinese. */
const ALLOWED_COMBINATIONS = [
  ['Latn', 'Hani', 'Hira', 'Kana'],
  ['Latn', 'Hani', 'Hang'],
  ['Latn', 'Hani', 'Bopo'],
] as const;

/** Matches nothing: what a script this runtime does not know stands for. */
const NOTHING = /(?!)/u;

function compiled(source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch {
    // A runtime older than the list (VS Code's Electron may have an older V8) rejects the newest script names;
    // their characters, unassigned there, are refused as such before scripts are looked at.
    return NOTHING;
  }
}

/** One script's patterns, compiled on first use: building all of them costs tens of milliseconds at start-up. */
class Script {
  #whole: RegExp | undefined;
  #primary: RegExp | undefined;

  constructor(readonly code: string) {}

  /** Matches a whole string every character of which has this script in its Script_Extensions. */
  get whole(): RegExp {
    this.#whole ??= compiled(`^\\p{scx=${this.code}}*$`, 'u');
    return this.#whole;
  }

  /** Matches one character whose Script is this one. */
  get primary(): RegExp {
    this.#primary ??= compiled(`^\\p{sc=${this.code}}$`, 'u');
    return this.#primary;
  }
}

const SCRIPTS: readonly Script[] = SCRIPT_CODES.map((code) => new Script(code));

/** Characters that belong to every script alike: Script_Extensions is exactly Common or Inherited. */
const ANY_SCRIPT = /[\p{scx=Zyyy}\p{scx=Zinh}]/gu;

let combinations: readonly RegExp[] | undefined;

function allowedCombinations(): readonly RegExp[] {
  combinations ??= ALLOWED_COMBINATIONS.map((codes) =>
    compiled(`^[${codes.map((code) => `\\p{scx=${code}}`).join('')}]*$`, 'u'),
  );
  return combinations;
}

let severalScripts: RegExp | undefined;

/**
 * Characters whose Script_Extensions hold more than their own Script ("ー" is Common but used in Hiragana and
 * Katakana; "।" is Devanagari and used in a dozen scripts). Only a name starting with one needs every script tried.
 */
function hasSeveralScripts(char: string): boolean {
  if (!severalScripts) {
    const known = SCRIPTS.filter((script) => script.whole !== NOTHING);
    const classes = known.map(({ code }) => `[\\p{scx=${code}}--\\p{sc=${code}}]`).join('');
    const compiledClasses = compiled(`[${classes}]`, 'v');
    // Without the `v` flag (set subtraction) every character counts as serving several: slower, still right.
    severalScripts = compiledClasses === NOTHING ? /[^]/u : compiledClasses;
  }
  return severalScripts.test(char);
}

/** English script names, made on first use (loading ICU's display names takes ~20 ms). */
let scriptNames: Intl.DisplayNames | undefined;

function scriptName(code: string): string {
  try {
    scriptNames ??= new Intl.DisplayNames(['en'], { type: 'script' });
    return scriptNames.of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * The English names of the first two scripts `letters` are written in. Two are enough to say why, and stopping
 * there bounds the work a refused name costs (this runs on every join a relay refuses).
 */
function firstTwoScripts(letters: string): string[] {
  const names: string[] = [];
  for (const char of letters) {
    // A Common character with extensions ("ー") is named after the first script it serves.
    const script =
      SCRIPTS.find((candidate) => candidate.primary.test(char)) ?? SCRIPTS.find((candidate) => candidate.whole.test(char));
    const name = script ? scriptName(script.code) : 'unknown';
    if (!names.includes(name)) names.push(name);
    if (names.length === 2) break;
  }
  return names;
}

/** Why `text` mixes scripts it should not ("mix Latin and Cyrillic letters"), or undefined when it does not. */
export function mixedScripts(text: string): string | undefined {
  const letters = text.replace(ANY_SCRIPT, '');
  if (letters.length === 0) return undefined;
  // One script: the first letter's own, or, when that letter serves several, any.
  const first = String.fromCodePoint(letters.codePointAt(0) ?? 0);
  if (SCRIPTS.find((script) => script.primary.test(first))?.whole.test(letters)) return undefined;
  if (hasSeveralScripts(first) && SCRIPTS.some((script) => script.whole.test(letters))) return undefined;
  if (allowedCombinations().some((combination) => combination.test(letters))) return undefined;
  return `mix ${firstTwoScripts(letters).join(' and ')} letters`;
}
