/**
 * Automatic ticket triage: every support message (Japanese or English free text) gets one of the five emergency
 * types and a priority, with the reasons staff see ("which words of the user made us say so").
 *
 * Pure code, no I/O. How it works:
 *  1. The text is normalised (NFKC, lower case, full-width → half-width, hiragana folded to katakana, control and
 *     invisible characters dropped), keeping a map back to the user's own characters so reasons quote their words.
 *     Only the first TRIAGE_MAX_CHARS characters are analysed.
 *  2. A strong-signal detector looks for a security *incident* (unauthorised access, theft, hijacked 2FA/email/
 *     password, phishing victims, SIM swap, leaked API keys, withdrawals/logins/orders the user does not
 *     recognise). Besides phrase rules it combines small concept lexicons, so that new wordings of the same situation
 *     are caught: holdings that vanished or were moved (passive voice), an account event the user denies, an unknown
 *     device/address/destination, another person acting on the account, a scam or impersonator plus the user handing
 *     over secrets or funds, remote-access tools, a stolen device or a lost one still signed in, codes arriving
 *     unasked, credentials altered by someone, alerts while the user slept, logins from abroad, exposure (shared PC,
 *     borrowed laptop) followed by an event. Missing a takeover is far worse than a false alarm, so any one of these
 *     makes the ticket security + urgent, unless its own sentence is a hypothetical question ("what if my account
 *     gets hacked?"), it is about another exchange / a rumour, or it is a mere worry ("was I hacked?").
 *  3. Otherwise weighted patterns per type are summed (plus a modest bonus for the user-chosen category); the
 *     best type wins, "other" when nothing stands out.
 *  4. Priority rules per type (money at risk, long waits, large amounts, API/bot outages → high; general questions
 *     → low). A security incident is always urgent; a security ticket is never low.
 *
 * Every regular expression uses bounded windows only (no nested unbounded quantifiers), so hostile input cannot
 * cause catastrophic backtracking.
 */
import { TICKET_TYPES, type TicketFields, type TicketType, type TriageReason, type TriageResult } from '../../domain/ticket.ts';
import { foldKana, HYPOTHETICAL, MAX_MATCHED_CHARS, re } from './lexicon.ts';
import { ELSEWHERE, INCIDENT_RULES, OWN_ACCOUNT, RULES, type Rule } from './rule-table.ts';
import { priorityFor } from './priority.ts';
import { KANA_WORD_ALL, kanjiOf } from './kana-words.ts';


/** Only this many characters (UTF-16 units) of a message are analysed. */
export const TRIAGE_MAX_CHARS = 5_000;
/** What the user-chosen category is worth: enough to break a tie or decide a vague message, no more. */
export const CATEGORY_HINT_WEIGHT = 2;
/** A worry that an incident might have happened, without any sign that it did. */
const WORRY_WEIGHT = 3;
/** A security question that is explicitly hypothetical leans "other" (how-to / policy question). */
const HYPOTHETICAL_WEIGHT = 2;
/** How many occurrences of one incident pattern are examined (the first ones may be hypothetical). */
const MAX_OCCURRENCES = 8;
/** Below this, a type's evidence is too thin and the ticket is "other". */
const MIN_TYPE_SCORE = 2;
const MAX_REASONS = 16;

// ---------------------------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------------------------

interface Normalized {
  /** The normalised text that patterns run on. */
  text: string;
  /** For every UTF-16 unit of `text`, the range [from, to) of the original text it came from. */
  from: number[];
  to: number[];
  /** The analysed part of the original text. */
  source: string;
  truncated: boolean;
}


/** Marks that belong to the preceding character (combining marks, half-width (semi-)voiced marks, ZWJ, VS). */
const COMBINING = /[\p{M}\uFF9E\uFF9F\u200D\uFE00-\uFE0F]/uy;
const FORMAT_CHAR = /^\p{Cf}$/u;

/**
 * A UTF-16 unit that NFKC leaves as it is, and lower-casing and kana folding change at most by a fixed offset:
 * printable ASCII, hiragana, katakana, the long-vowel mark, CJK unified ideographs, 、。. Most of a message; when
 * no mark follows, it is mapped without normalize() (the same result, several times faster).
 */
function plainUnit(c: number): boolean {
  return (c >= 0x21 && c <= 0x7e) || (c >= 0x3041 && c <= 0x3096) || (c >= 0x30a1 && c <= 0x30fa) || c === 0x30fc
    || (c >= 0x4e00 && c <= 0x9fff) || c === 0x3001 || c === 0x3002;
}

function classify(cp: number, ch: string): '\n' | ' ' | '' | null {
  if (cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029) return '\n';
  if (cp === 0x09 || cp === 0x0b || cp === 0x0c || cp === 0x20 || cp === 0xa0 || cp === 0x3000 || cp === 0x1680) return ' ';
  if ((cp >= 0x2000 && cp <= 0x200a) || cp === 0x202f || cp === 0x205f) return ' ';
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return ' ';
  if (cp >= 0xd800 && cp <= 0xdfff) return ' '; // lone surrogate
  if (FORMAT_CHAR.test(ch)) return '';
  return null;
}

function normalizeMapped(original: string): Normalized {
  const truncated = original.length > TRIAGE_MAX_CHARS;
  const source = truncated ? original.slice(0, TRIAGE_MAX_CHARS) : original;
  const units: string[] = [];
  const from: number[] = [];
  const to: number[] = [];
  let i = 0;
  while (i < source.length) {
    const unit = source.charCodeAt(i);
    if (plainUnit(unit)) {
      const next = i + 1 < source.length ? source.charCodeAt(i + 1) : 0x20;
      if (next === 0x20 || next === 0x0a || plainUnit(next)) {
        units.push(unit >= 0x41 && unit <= 0x5a ? String.fromCharCode(unit + 0x20) : unit >= 0x3041 && unit <= 0x3096 ? String.fromCharCode(unit + 0x60) : source[i]!);
        from.push(i);
        to.push(i + 1);
        i++;
        continue;
      }
    }
    const start = i;
    const cp = source.codePointAt(i) ?? 0;
    i += cp > 0xffff ? 2 : 1;
    for (;;) {
      COMBINING.lastIndex = i;
      if (i >= source.length || !COMBINING.test(source)) break;
      const next = source.codePointAt(i) ?? 0;
      i += next > 0xffff ? 2 : 1;
    }
    const group = source.slice(start, i);
    const kind = classify(cp, String.fromCodePoint(cp));
    let piece: string;
    if (kind === null) {
      piece = foldKana(group.normalize('NFKC').toLowerCase()).replace(/[\u2018\u2019\u02bc\u2032]/g, "'").replace(/[\u201c\u201d]/g, '"');
    } else piece = kind;
    if (piece === ' ' || piece === '\n') {
      const last = units[units.length - 1];
      if (last === undefined) continue;
      if (last === ' ' || last === '\n') {
        if (piece === '\n') units[units.length - 1] = '\n';
        continue;
      }
    }
    for (let k = 0; k < piece.length; k++) {
      units.push(piece[k] ?? '');
      from.push(start);
      to.push(i);
    }
  }
  return withKanji(joinJapanese({ text: units.join(''), from, to, source, truncated }));
}

const JAPANESE_CHAR = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff々〆、。「」]/;

/** A space between two Japanese characters dropped: learners and hiragana-only writers space their words (「わたし は うって いません」). */
function joinJapanese(n: Normalized): Normalized {
  if (!n.text.includes(' ')) return n;
  const keep = (i: number): boolean => !(n.text[i] === ' ' && JAPANESE_CHAR.test(n.text[i - 1] ?? '') && JAPANESE_CHAR.test(n.text[i + 1] ?? ''));
  let text = '';
  const from: number[] = [];
  const to: number[] = [];
  for (let i = 0; i < n.text.length; i++) {
    if (!keep(i)) continue;
    text += n.text[i];
    from.push(n.from[i]!);
    to.push(n.to[i]!);
  }
  return { ...n, text, from, to };
}

/** Key words typed in kana read as their kanji (kana-words.ts), each kanji mapped to the kana the user typed. */
function withKanji(n: Normalized): Normalized {
  KANA_WORD_ALL.lastIndex = 0;
  if (!KANA_WORD_ALL.test(n.text)) return n;
  const from: number[] = [];
  const to: number[] = [];
  let at = 0;
  const text = n.text.replace(KANA_WORD_ALL, (kana: string, offset: number) => {
    for (; at < offset; at++) {
      from.push(n.from[at]!);
      to.push(n.to[at]!);
    }
    const kanji = kanjiOf(kana);
    for (let k = 0; k < kanji.length; k++) {
      from.push(n.from[offset]!);
      to.push(n.to[offset + kana.length - 1]!);
    }
    at = offset + kana.length;
    return kanji;
  });
  for (; at < n.text.length; at++) {
    from.push(n.from[at]!);
    to.push(n.to[at]!);
  }
  return { ...n, text, from, to };
}

/**
 * The text as triage sees it: NFKC (full-width → half-width, half-width kana → full-width), lower case, hiragana
 * folded to katakana, control/invisible characters removed, whitespace collapsed, first TRIAGE_MAX_CHARS only.
 */
export function normalizeForTriage(text: string): string {
  return normalizeMapped(text).text;
}

// ---------------------------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------------------------

const QUESTION = new RegExp(foldKana(String.raw`\?|ですか|ますか|でしょうか|教えて|知りたい|\bhow\b|\bwhat\b|\bshould i\b`));
/** Evidence that it did happen, which beats a hypothetical marker elsewhere in the text. */
const REALISED = new RegExp(
  foldKana(
    String.raw`されました|されています|されてい|されてしま|られました|られてい|られてしま|\b(?:was|were|got|has been|have been|is|are) (?:hacked|compromised|stolen|gone|drained|emptied)\b|just now|さっき|先ほど|今朝`,
  ),
);

/** 「不正に使われていないか心配」: a worry that something might have happened, not a report that it did. */
const WORRY_AFTER = new RegExp(foldKana(String.raw`^[^。!?\n]{0,6}(?:ていないか|ないか|ていませんか|ませんか|ないですよね|ないよね|ないでしょうか|のでは|んじゃ|のかと|かと(?:心配|不安|思))`));
const QUESTION_AFTER = new RegExp(foldKana(String.raw`^[^。!?\n]{0,6}(?:んですか|のですか|んでしょうか|のでしょうか|ですか|\?)`));
/** The exchange in the news, not the user's own account. */
const NEWS_CONTEXT = new RegExp(foldKana(String.raw`ニュース|報道|噂|うわさ|\bnews\b|\brumou?rs?\b|取引所が|bitbankが|\bthe exchange (?:was|got|has been)\b|\bis bitbank\b`));
/** Generic "hacked" words that may be about another exchange in the news rather than the user's account. */
const ABOUT_ELSEWHERE = new Set(['security.compromised', 'security.breach', 'security.someone_else_acting']);
const SENTENCE_END = /[。!?\n]/;
const MAX_SENTENCE = 300;

/** The sentence(s) around [start, end), ending punctuation included. */
function sentenceAround(text: string, start: number, end: number): string {
  const isEnd = (i: number): boolean => SENTENCE_END.test(text[i] ?? '') || (text[i] === '.' && (i + 1 >= text.length || text[i + 1] === ' '));
  let a = start;
  const lo = Math.max(0, start - MAX_SENTENCE);
  while (a > lo && !isEnd(a - 1)) a--;
  let b = end;
  const hi = Math.min(text.length, end + MAX_SENTENCE);
  while (b < hi && !isEnd(b)) b++;
  return text.slice(a, Math.min(text.length, b + 1));
}

const REALISED_ALL = new RegExp(REALISED.source, 'g');
const CONDITIONAL_BEFORE = re(String.raw`\bif\b|\bwhen\b|\bin case\b|もし|仮に|万が一|万一`);
/** Something in the sentence did happen (not "if my account got hacked"). */
function realisedIn(sentence: string): boolean {
  REALISED_ALL.lastIndex = 0;
  for (let k = 0; k < MAX_OCCURRENCES; k++) {
    const m = REALISED_ALL.exec(sentence);
    if (!m) return false;
    if (m[0].length === 0) {
      REALISED_ALL.lastIndex++;
      continue;
    }
    if (!CONDITIONAL_BEFORE.test(sentence.slice(Math.max(0, m.index - 30), m.index))) return true;
  }
  return false;
}
/** "SIM swap attacks", "phishing scams": the topic in general, not an event. */
const GENERIC_AFTER = /^[^。!?\n]{0,3}(?:attacks|scams|schemes|frauds|in general)\b/;
const WORRY_AROUND = /\b(?:worried|afraid|concerned|scared|wonder(?:ing)?)\b[^.!?\n]{0,40}\b(?:might|may|could)\b/;


/** Every rule's id: what staff see a reason as (translated in src/web/messages/triage.*.ts). */
export const TRIAGE_RULE_IDS: readonly string[] = [...INCIDENT_RULES, ...RULES].map((r) => r.id);


/** The other reasons the rules give (not a pattern of their own). */
export const OTHER_RULE_IDS = ['fields.order_id', 'fields.transaction_id', 'security.possible_incident', 'security.hypothetical', 'hint.category', 'type.default', 'input.truncated'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Triage
// ---------------------------------------------------------------------------------------------------------------

export interface Hit {
  rule: Rule;
  matched: string;
  /** Where the match is in the normalised text. */
  index: number;
  end: number;
}

/** Tie order: the costlier mistake first. */
const TIE_ORDER: TicketType[] = ['security', 'trading', 'outage', 'regulatory', 'other'];

export interface TriageInput {
  text: string;
  category?: TicketType | undefined;
  fields?: TicketFields;
}

/** What the rules found, for combining them with the learned model (triage-combined.ts). */
export interface RuleVerdict {
  result: TriageResult;
  /** A security incident was detected (a strong signal: the result is security + urgent). */
  incident: boolean;
  /** Evidence per type (the chosen type is the highest, "other" starts at 1). */
  scores: Record<TicketType, number>;
  /**
   * Which rules fired, as names the learned model reads beside the text's n-grams (model.ts): `incident:<id>` for
   * an incident pattern, the rule id of each weighted pattern, `worry` and `hypothetical`, `type:<type>` for the
   * rules' own verdict. The model learns how far to trust each.
   */
  signals: string[];
}

export function triage(input: TriageInput): TriageResult {
  return triageRules(input).result;
}

/** Each rule's first occurrence, when what it needs is there too and what rules it out is not. */
function matchRules(rules: Rule[], text: string, quote: (m: RegExpExecArray) => string): Hit[] {
  const hits: Hit[] = [];
  for (const r of rules) {
    const m = r.re.exec(text);
    if (!m) continue;
    if (r.needs && !(Array.isArray(r.needs) ? r.needs.every((n) => n.test(text)) : r.needs.test(text))) continue;
    if (r.unless && r.unless.test(text)) continue;
    hits.push({ rule: r, matched: quote(m), index: m.index, end: m.index + m[0].length });
  }
  return hits;
}

/**
 * The rules' verdict, and `withType` to get the priority and reasons for a type the caller chose instead (the
 * combined triage) without reading the text again; a detected incident still forces security.
 */
export function triageRules(input: TriageInput): RuleVerdict & { withType: (type: TicketType) => TriageResult } {
  const norm = normalizeMapped(typeof input.text === 'string' ? input.text : '');
  const text = norm.text;

  const quote = (m: RegExpExecArray): string => {
    const start = m.index;
    const end = start + Math.max(1, m[0].length) - 1;
    const a = norm.from[start] ?? 0;
    const b = norm.to[Math.min(end, norm.to.length - 1)] ?? a;
    const words = norm.source.slice(a, b).replace(/\s+/g, ' ').trim();
    return words.length > MAX_MATCHED_CHARS ? `${words.slice(0, MAX_MATCHED_CHARS - 1)}…` : words;
  };
  const find = (re: RegExp): string | null => {
    const m = re.exec(text);
    return m ? quote(m) : null;
  };

  const scores: Record<TicketType, number> = { outage: 0, security: 0, trading: 0, regulatory: 0, other: 1 };

  // 1. Security incident.
  // Each rule's first occurrence that is not inside a hypothetical question ("what if my account got hacked?"),
  // not about another exchange in the news, and not a mere worry ("was I hacked?").
  const isQuestion = QUESTION.test(text);
  const incidentHits: Hit[] = [];
  const worries: Hit[] = [];
  let suppressed: string | null = null;
  for (const r of INCIDENT_RULES) {
    if (r.needs && !(Array.isArray(r.needs) ? r.needs.every((n) => n.test(text)) : r.needs.test(text))) continue;
    if (r.unless && r.unless.test(text)) continue;
    r.all.lastIndex = 0;
    for (let k = 0; k < MAX_OCCURRENCES; k++) {
      const m = r.all.exec(text);
      if (!m) break;
      if (m[0].length === 0) {
        r.all.lastIndex++;
        continue;
      }
      const h: Hit = { rule: r, matched: quote(m), index: m.index, end: m.index + m[0].length };
      const sentence = sentenceAround(text, h.index, h.end);
      if (HYPOTHETICAL.test(sentence) && (isQuestion || QUESTION.test(sentence)) && !realisedIn(sentence)) {
        suppressed ??= find(HYPOTHETICAL);
        continue;
      }
      if (ABOUT_ELSEWHERE.has(r.id) && ELSEWHERE.test(sentence) && !OWN_ACCOUNT.test(sentence)) continue;
      const after = text.slice(h.end, h.end + 20);
      if (GENERIC_AFTER.test(after)) continue;
      if (WORRY_AFTER.test(after) || WORRY_AROUND.test(text.slice(Math.max(0, h.index - 40), h.end)) || (QUESTION_AFTER.test(after) && NEWS_CONTEXT.test(text))) {
        worries.push(h);
        continue;
      }
      incidentHits.push(h);
      break;
    }
  }
  const worry = worries[0];
  const incident = incidentHits.length > 0;
  if (!incident && worry) scores.security += WORRY_WEIGHT;
  if (!incident && suppressed) scores.other += HYPOTHETICAL_WEIGHT;

  // 2. Weighted evidence.
  const hits = matchRules(RULES, text, quote);
  const hitIds = new Set(hits.map((h) => h.rule.id));
  for (const h of [...incidentHits, ...hits]) scores[h.rule.type] += h.rule.weight;

  const fieldReasons: TriageReason[] = [];
  const orderId = input.fields?.orderId?.trim();
  if (orderId) {
    scores.trading += 1;
    fieldReasons.push({ rule: 'fields.order_id', matched: orderId.slice(0, MAX_MATCHED_CHARS), effect: 'type trading +1 (order id given)', code: 'field', params: { chosen: 1 } });
  }
  const txId = input.fields?.transactionId?.trim();
  if (txId) {
    scores.trading += 1;
    fieldReasons.push({ rule: 'fields.transaction_id', matched: txId.slice(0, MAX_MATCHED_CHARS), effect: 'type trading +1 (transaction id given)', code: 'field', params: { chosen: 1 } });
  }

  const hint = input.category && (TICKET_TYPES as readonly string[]).includes(input.category) ? input.category : undefined;
  if (hint) scores[hint] += CATEGORY_HINT_WEIGHT;

  const decide = (forcedType?: TicketType): TriageResult => {
    const reasons: TriageReason[] = [];
    // 3. Type.
    let type: TicketType;
    if (incident) type = 'security';
    else if (forcedType) type = forcedType;
    else {
      type = 'other';
      let best = -Infinity;
      for (const t of TIE_ORDER) {
        if (scores[t] > best) {
          best = scores[t];
          type = t;
        }
      }
      if (type !== 'other' && scores[type] < MIN_TYPE_SCORE) type = 'other';
    }

    // 4. Priority.
    const priorityReasons: TriageReason[] = [];
    const priority = priorityFor(type, { text, hits, hitIds, incidentHits, fields: input.fields, find }, priorityReasons);

    // 5. Reasons: the incident, evidence for the chosen type, the hint, priority, then other evidence.
    const chosen = (t: TicketType) => (t === type ? 1 : 0);
    const reasonOf = (h: Hit, isIncident: boolean): TriageReason =>
      isIncident
        ? { rule: h.rule.id, matched: h.matched, effect: `security incident: type security +${h.rule.weight}, priority urgent`, code: 'incident', params: { weight: h.rule.weight } }
        : {
            rule: h.rule.id, matched: h.matched, effect: `type ${h.rule.type} +${h.rule.weight}${h.rule.type === type ? '' : ' (not chosen)'}`,
            code: 'score', params: { type: h.rule.type, weight: h.rule.weight, chosen: chosen(h.rule.type) },
          };
    for (const h of incidentHits) reasons.push(reasonOf(h, true));
    if (!incident && worry) {
      reasons.push({
        rule: 'security.possible_incident', matched: worry.matched, effect: `worry, no sign it happened: type security +${WORRY_WEIGHT}${type === 'security' ? '' : ' (not chosen)'}`,
        code: 'worry', params: { weight: WORRY_WEIGHT, chosen: chosen('security') },
      });
    }
    if (suppressed) reasons.push({ rule: 'security.hypothetical', matched: suppressed, effect: 'hypothetical/preventive question: not treated as an incident', code: 'hypothetical', params: {} });
    for (const h of hits) if (h.rule.type === type) reasons.push(reasonOf(h, false));
    for (const r of fieldReasons) if (type === 'trading') reasons.push(r);
    if (hint) {
      reasons.push(
        incident && hint !== 'security'
          ? { rule: 'hint.category', matched: hint, effect: `user-chosen category ${hint} +${CATEGORY_HINT_WEIGHT}; overridden by the security incident`, code: 'hint_overridden', params: { type: hint, weight: CATEGORY_HINT_WEIGHT } }
          : {
              rule: 'hint.category', matched: hint, effect: `type ${hint} +${CATEGORY_HINT_WEIGHT} (user-chosen category${hint === type ? '' : ', not chosen'})`,
              code: 'hint', params: { type: hint, weight: CATEGORY_HINT_WEIGHT, chosen: chosen(hint) },
            },
      );
    }
    reasons.push(...priorityReasons);
    for (const h of hits) if (h.rule.type !== type) reasons.push(reasonOf(h, false));
    for (const r of fieldReasons) if (type !== 'trading') reasons.push({ ...r, effect: `${r.effect}, not chosen`, params: { chosen: 0 } });
    if (!hits.some((h) => h.rule.type === type) && !incident && !(hint && hint === type)) {
      reasons.unshift({ rule: 'type.default', matched: '', effect: type === 'other' ? 'no strong signal for any emergency type: type other' : `type ${type}`, code: 'default_type', params: { type } });
    }
    if (norm.truncated) reasons.push({ rule: 'input.truncated', matched: '', effect: `only the first ${TRIAGE_MAX_CHARS} characters were analysed`, code: 'truncated', params: { max: TRIAGE_MAX_CHARS } });

    return { type, priority, reasons: reasons.slice(0, MAX_REASONS) };
  };
  const result = decide();
  const signals = [
    ...incidentHits.map((h) => `incident:${h.rule.id}`), ...hits.map((h) => h.rule.id),
    ...(!incident && worry ? ['worry'] : []), ...(suppressed ? ['hypothetical'] : []), `type:${result.type}`,
  ];
  return { result, incident, scores, signals, withType: (type) => decide(type) };
}
