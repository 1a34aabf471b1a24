import { SYNONYM_GROUPS } from './synonyms.ts';

/** Words too common to say what a question is about. Negations go too: "can't withdraw" is about withdrawing. */
export const ENGLISH_STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but if of to in on at by for from with about into as is are was were be been being am ' +
    'i me my mine we our you your it its this that these those there here what which who whom how why when where ' +
    'do does did done doing have has had having can could should would will shall may might must ' +
    'not no nor cant cannot dont doesnt didnt isnt arent wasnt werent wont wouldnt couldnt shouldnt havent hasnt ' +
    'im ive id its so than too very just also any some all please help get got there their them they he she'
  ).split(' '),
);

const VOWEL = /[aeiouy]/;

/**
 * A light suffix stripper (plural, -ed, -ing, final -e), enough for "withdrawals"/"withdrawing" to meet
 * "withdrawal"/"withdraw" and "verified"/"verify" to meet. Applied to articles and queries alike, so its
 * occasional odd stem ("receiv") does not matter.
 */
export function stemEnglish(word: string): string {
  let w = word;
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);

  if (w.endsWith('ied') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else {
    for (const suffix of ['ing', 'ed']) {
      if (w.endsWith(suffix)) {
        const stem = w.slice(0, -suffix.length);
        if (stem.length >= 3 && VOWEL.test(stem)) {
          w = /([bdgmnprt])\1$/.test(stem) ? stem.slice(0, -1) : stem;
        }
        break;
      }
    }
  }
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/** Single-word English synonyms by stem ("withdrawals" → "withdrawal" → "withdraw"). */
const STEM_SYNONYMS: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const group of SYNONYM_GROUPS.en) {
    const canonical = stemEnglish(group[0]!);
    for (const member of group.slice(1)) {
      if (/^[a-z0-9]+$/.test(member)) {
        const stem = stemEnglish(member);
        if (stem !== canonical && !map.has(stem)) map.set(stem, canonical);
      }
    }
  }
  return map;
})();

/** The index term for one Latin word, or null for a stopword. */
export function latinTerm(word: string): string | null {
  const w = word.replace(/['’]/g, '');
  if (!w || ENGLISH_STOPWORDS.has(w)) return null;
  const base = w.endsWith('s') && word.match(/['’]s$/) ? w.slice(0, -1) : w;
  const stem = stemEnglish(base);
  return STEM_SYNONYMS.get(stem) ?? stem;
}
