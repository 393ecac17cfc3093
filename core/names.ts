/**
 * Person names as regions type them and as the population registry (Dukcapil) holds them, for criterion 2
 * (Pasal 8 ayat 3 huruf b: the name matches the registry) and the identity key of criterion 1.
 *
 * Normalisation (normaliseName): uppercase; diacritics stripped; every character that is not a letter or a digit
 * (dots, commas, apostrophes, hyphens, brackets, …) becomes a space; spaces collapse; honorifics and academic or
 * religious titles are removed as whole tokens (see TITLES / TITLE_SEQUENCES for the rules on ambiguous ones).
 *
 * Matching rule (normalisedNamesMatch), chosen to be conservative because a false accept sends aid to the wrong
 * person while a false reject only returns the row for correction:
 * 1. equal after normalisation → match;
 * 2. equal once spaces are ignored (NUR HAYATI / NURHAYATI) → match: same letters in the same order;
 * 3. otherwise the names must have the same number of tokens, and token i of one must be *alike* token i of the
 *    other for every i. Tokens are alike when
 *    - equal, or
 *    - equal after folding the old (pre-1972 EYD) spellings and doubled letters: OE→U, DJ→J, TJ→C, CH→KH, J→Y,
 *      double letters single (SOEKARNO/SUKARNO, DJOKO/JOKO, TJIPTO/CIPTO, MUHAMAD/MUHAMMAD), or
 *    - both at least 4 letters and one edit apart (substitution, insertion, deletion or swap of two neighbours:
 *      SITI/SITY, NURHAYATI/NURHAYATY), raw or folded — EXCEPT when the only difference is one final vowel for
 *      another, because Javanese and Balinese names mark sex with it (SUPARNO/SUPARNI, PUTRA/PUTRI), or
 *    - both spellings or conventional abbreviations of Muhammad (MUHAMMAD, MOCHAMAD, MOH., MUH., M., MHD, …).
 *      Other initials are NOT tolerated: 'S. RAHAYU' could be any name with an S, and the region can always
 *      write the name as on the ID card (KTP);
 * 4. the same tokens in another order (SANTOSO BUDI / BUDI SANTOSO) → match only when they are identical as a
 *    multiset: families and regions write the family name first or last, but fuzzy tolerance is not combined
 *    with reordering.
 * Rejected on purpose: a different given name (BUDI SANTOSO / AGUS SANTOSO), a different number of tokens once
 * titles are gone (RIDWAN / MUHAMMAD RIDWAN), two or more edits in one token (SANTOSO / SUSANTO).
 *
 * normaliseName and namesMatch run once per row on files of a million rows: clean uppercase names (what the
 * registry holds) go through one char-code scan with no allocation, and namesMatch returns at once on equal input.
 */

/** Packs an A–Z token of up to 6 letters into a number (base 27), so the hot path can look titles up unallocated. */
function packToken(text: string, start: number, end: number): number {
  if (end - start > 6) return -1;
  let code = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 65 || c > 90) return -1;
    code = code * 27 + (c - 64);
  }
  return code;
}

function pack(token: string): number {
  return packToken(token, 0, token.length);
}

/**
 * Titles removed wherever they stand: honorifics (H., Hj., KH), degrees written without dots (SPD, SE, MM, …)
 * and dotted degrees whose dots leave a single token (Drs., Ir., Prof., Dr.). Left out on purpose: ST (also the
 * usual abbreviation of SITI), MA and ME (also two initials), and every real given name.
 */
const TITLES: ReadonlySet<string> = new Set([
  'HJ',
  'HJJ',
  'HAJI',
  'HAJAH',
  'HAJJAH',
  'KH',
  'DR',
  'DRS',
  'DRA',
  'DRG',
  'IR',
  'PROF',
  'SPD',
  'SPDI',
  'SE',
  'SEI',
  'SH',
  'SHI',
  'SKOM',
  'SSOS',
  'SAG',
  'SKM',
  'SKEP',
  'SKED',
  'SFARM',
  'SIP',
  'SPSI',
  'SSI',
  'SST',
  'STP',
  'SSTP',
  'SHUT',
  'SPT',
  'SPI',
  'SHUM',
  'MPD',
  'MPDI',
  'MSI',
  'MM',
  'MKES',
  'MAG',
  'MH',
  'MHUM',
  'MKOM',
  'MSC',
  'MBA',
  'MT',
  'MKEP',
  'AMD',
  'AMK',
  'AMKEB',
  'AMKEP',
  'PHD',
]);

/**
 * Dotted titles that punctuation splits into several tokens (S.Pd → S PD). `afterDot` sequences are made of
 * letters that are also initials (S.E., M.M.), so they are removed only when the first letter was written with a
 * dot and at least one name token stands before them (degrees follow the name): 'M. M. RIDWAN' keeps its initials.
 */
const TITLE_SEQUENCES: readonly { tokens: readonly string[]; afterDot: boolean }[] = [
  ...[
    ['S', 'PD', 'I'],
    ['M', 'PD', 'I'],
    ['A', 'MD', 'KEB'],
    ['A', 'MD', 'KEP'],
    ['A', 'MD', 'KES'],
    ['S', 'PD'],
    ['S', 'KOM'],
    ['S', 'SOS'],
    ['S', 'AG'],
    ['S', 'KM'],
    ['S', 'KEP'],
    ['S', 'KED'],
    ['S', 'FARM'],
    ['S', 'IP'],
    ['S', 'PSI'],
    ['S', 'SI'],
    ['S', 'ST'],
    ['S', 'TP'],
    ['S', 'STP'],
    ['S', 'HUT'],
    ['S', 'PT'],
    ['S', 'PI'],
    ['S', 'HUM'],
    ['S', 'AB'],
    ['M', 'PD'],
    ['M', 'SI'],
    ['M', 'KES'],
    ['M', 'AG'],
    ['M', 'HUM'],
    ['M', 'KOM'],
    ['M', 'SC'],
    ['M', 'KEP'],
    ['A', 'MD'],
    ['AMD', 'KEB'],
    ['AMD', 'KEP'],
    ['PH', 'D'],
  ].map((tokens) => ({ tokens, afterDot: false })),
  ...[
    ['S', 'E', 'I'],
    ['S', 'H', 'I'],
    ['S', 'E'],
    ['S', 'H'],
    ['S', 'T'],
    ['S', 'S'],
    ['M', 'M'],
    ['M', 'H'],
    ['M', 'T'],
  ].map((tokens) => ({ tokens, afterDot: true })),
];

/** Tokens that send a clean name to the slow path: titles, 'H', and the first token of every title sequence. */
const TITLE_CANDIDATES: ReadonlySet<number> = new Set(
  [...TITLES, 'H', ...TITLE_SEQUENCES.map((sequence) => sequence.tokens[0]!)].map(pack),
);

/** Bit per letter A–Z that some candidate starts with: most tokens are ruled out without a set look-up. */
const CANDIDATE_FIRST_LETTERS = [...TITLES, 'H', ...TITLE_SEQUENCES.map((sequence) => sequence.tokens[0]!)].reduce(
  (mask, token) => mask | (1 << (token.charCodeAt(0) - 65)),
  0,
);

/** First tokens of the title sequences, so that the sequence table is only searched where one can start. */
const SEQUENCE_STARTS: ReadonlySet<string> = new Set(TITLE_SEQUENCES.map((sequence) => sequence.tokens[0]!));

/**
 * One scan: is the name already clean (A–Z and digits, single spaces, no leading or trailing space) with no token
 * that could be a title? Then it is its own normal form.
 */
function isAlreadyNormal(name: string): boolean {
  const length = name.length;
  if (length === 0) return true;
  let tokenStart = 0;
  for (let i = 0; i <= length; i++) {
    const c = i < length ? name.charCodeAt(i) : 32;
    if (c === 32) {
      if (i === tokenStart) return false; // leading, trailing or double space
      if (i - tokenStart <= 6 && (CANDIDATE_FIRST_LETTERS & (1 << (name.charCodeAt(tokenStart) - 65))) !== 0) {
        const code = packToken(name, tokenStart, i);
        if (code >= 0 && TITLE_CANDIDATES.has(code)) return false;
      }
      tokenStart = i + 1;
    } else if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) {
      return false;
    }
  }
  return true;
}

const COMBINING_MARKS = /\p{M}+/gu;
const LETTER = /\p{L}/u;

/** Tokens of a name and whether each was written with a dot right after it (an abbreviation: S.Pd, H.). */
function tokenise(name: string): { tokens: string[]; dotted: boolean[] } {
  let text = name;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 127) {
      text = text.normalize('NFD').replace(COMBINING_MARKS, '');
      break;
    }
  }
  text = text.toUpperCase();
  const tokens: string[] = [];
  const dotted: boolean[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    const inToken = (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || (c > 127 && c !== 160 && LETTER.test(text[i]!));
    if (inToken) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      tokens.push(text.slice(start, i));
      dotted.push(c === 46);
      start = -1;
    }
  }
  return { tokens, dotted };
}

function sequenceAt(tokens: readonly string[], dotted: readonly boolean[], at: number, kept: number): number {
  if (!SEQUENCE_STARTS.has(tokens[at]!)) return 0;
  for (const sequence of TITLE_SEQUENCES) {
    const length = sequence.tokens.length;
    if (at + length > tokens.length) continue;
    if (sequence.afterDot && (!dotted[at] || kept === 0)) continue;
    let same = true;
    for (let k = 0; k < length; k++) {
      if (tokens[at + k] !== sequence.tokens[k]) {
        same = false;
        break;
      }
    }
    if (same) return length;
  }
  return 0;
}

/**
 * The normal form used for comparison and for the identity key. A name made only of titles keeps them: an empty
 * name would match every other empty one.
 */
export function normaliseName(name: string): string {
  if (isAlreadyNormal(name)) return name;
  const { tokens, dotted } = tokenise(name);
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    const token = tokens[i]!;
    const sequence = sequenceAt(tokens, dotted, i, kept.length);
    if (sequence > 0) {
      i += sequence;
      continue;
    }
    // 'H.' is Haji; an undotted H counts only in front of the name ('H AHMAD'), elsewhere it may be an initial.
    const isTitle = TITLES.has(token) || (token === 'H' && (dotted[i] || (kept.length === 0 && i < tokens.length - 1)));
    if (!isTitle) kept.push(token);
    i++;
  }
  return (kept.length > 0 ? kept : tokens).join(' ');
}

/** Old spellings (before the 1972 EYD) and doubled letters folded: SOEKARNO → SUKARNO, DJOKO → YOKO, JOKO → YOKO. */
function foldSpelling(token: string): string {
  let out = '';
  let last = -1;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const next = i + 1 < token.length ? token.charCodeAt(i + 1) : -1;
    let emit: number;
    let extra = -1;
    if (c === 79 && next === 69) {
      emit = 85; // OE -> U
      i++;
    } else if (c === 68 && next === 74) {
      emit = 89; // DJ -> J, and J -> Y below
      i++;
    } else if (c === 84 && next === 74) {
      emit = 67; // TJ -> C
      i++;
    } else if (c === 67 && next === 72) {
      emit = 75; // CH -> KH
      extra = 72;
      i++;
    } else if (c === 74) {
      emit = 89; // old J is the new Y (SOEJONO / SUYONO)
    } else {
      emit = c;
    }
    if (emit !== last) out += String.fromCharCode(emit);
    last = emit;
    if (extra >= 0) {
      if (extra !== last) out += String.fromCharCode(extra);
      last = extra;
    }
  }
  return out;
}

/** Folded spellings and conventional abbreviations of Muhammad. */
const MUHAMMAD = new Set(
  [
    'MUHAMMAD',
    'MOHAMMAD',
    'MOCHAMMAD',
    'MUCHAMMAD',
    'MOKHAMMAD',
    'MUKHAMMAD',
    'MOHAMMED',
    'MUHAMMED',
    'M',
    'MOH',
    'MUH',
    'MOCH',
    'MUCH',
    'MHD',
    'MUHD',
    'MOHD',
  ].map(foldSpelling),
);

function isVowel(c: number): boolean {
  return c === 65 || c === 69 || c === 73 || c === 79 || c === 85;
}

/**
 * At most one insertion, deletion, substitution or swap of neighbours apart (restricted Damerau–Levenshtein ≤ 1),
 * but never when the only difference is a final vowel replaced by another vowel (SUPARNO / SUPARNI).
 */
function oneEditApart(x: string, y: string): boolean {
  const lx = x.length;
  const ly = y.length;
  if (Math.abs(lx - ly) > 1) return false;
  let i = 0;
  const shorter = Math.min(lx, ly);
  while (i < shorter && x.charCodeAt(i) === y.charCodeAt(i)) i++;
  if (i === shorter) return true; // equal, or one extra letter at the end
  if (lx === ly) {
    if (x.slice(i + 1) === y.slice(i + 1)) {
      const final = i === lx - 1;
      return !(final && isVowel(x.charCodeAt(i)) && isVowel(y.charCodeAt(i)));
    }
    return (
      i + 1 < lx &&
      x.charCodeAt(i) === y.charCodeAt(i + 1) &&
      x.charCodeAt(i + 1) === y.charCodeAt(i) &&
      x.slice(i + 2) === y.slice(i + 2)
    );
  }
  return lx > ly ? x.slice(i + 1) === y.slice(i) : x.slice(i) === y.slice(i + 1);
}

const FUZZY_MIN_LENGTH = 4;

function tokensAlike(x: string, y: string): boolean {
  if (x === y) return true;
  if (x.length >= FUZZY_MIN_LENGTH && y.length >= FUZZY_MIN_LENGTH && oneEditApart(x, y)) return true;
  const fx = foldSpelling(x);
  const fy = foldSpelling(y);
  if (fx === fy) return true;
  if (MUHAMMAD.has(fx) && MUHAMMAD.has(fy)) return true;
  return fx.length >= FUZZY_MIN_LENGTH && fy.length >= FUZZY_MIN_LENGTH && oneEditApart(fx, fy);
}

function withoutSpaces(name: string): string {
  return name.replaceAll(' ', '');
}

/** The matching rule of this module's header, on names already passed through normaliseName. */
export function normalisedNamesMatch(a: string, b: string): boolean {
  if (a === b) return true;
  if (a === '' || b === '') return false;
  if (withoutSpaces(a) === withoutSpaces(b)) return true;
  const ta = a.split(' ');
  const tb = b.split(' ');
  if (ta.length !== tb.length) return false;
  let inOrder = true;
  for (let i = 0; i < ta.length; i++) {
    if (!tokensAlike(ta[i]!, tb[i]!)) {
      inOrder = false;
      break;
    }
  }
  if (inOrder) return true;
  ta.sort();
  tb.sort();
  return ta.every((token, i) => token === tb[i]);
}

/** Raw names, e.g. a proposal's `nama` against the registry's: equal strings match without any work. */
export function namesMatch(a: string, b: string): boolean {
  if (a === b) return true;
  return normalisedNamesMatch(normaliseName(a), normaliseName(b));
}

/**
 * Similarity of two normalised names in 0..1, for ranking and reports (never for the accept decision):
 * 1 − (restricted Damerau–Levenshtein distance of the whole strings ÷ length of the longer one); 1 when equal
 * (two empty names included), 0 when one is empty.
 */
export function nameSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const longer = Math.max(a.length, b.length);
  if (a.length === 0 || b.length === 0) return 0;
  return 1 - editDistance(a, b) / longer;
}

function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  let before = new Array<number>(width).fill(0);
  let previous = Array.from({ length: width }, (_, j) => j);
  let current = new Array<number>(width).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (
        i > 1 &&
        j > 1 &&
        a.charCodeAt(i - 1) === b.charCodeAt(j - 2) &&
        a.charCodeAt(i - 2) === b.charCodeAt(j - 1)
      ) {
        best = Math.min(best, before[j - 2]! + 1);
      }
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/** Criterion 1 (one person, one record): normalised name, birth date and village identify a person across NIKs. */
export function identityKey(nama: string, birthIso: string, kodeDesa: string): string {
  return `${normaliseName(nama)}|${birthIso}|${kodeDesa}`;
}
