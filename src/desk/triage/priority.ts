/** The triage's priority: per ticket type, from the rules that matched (each decision is a reason). */
import type { Priority, TicketFields, TicketType, TriageReason } from '../../domain/ticket.ts';
import { DEPOSIT, foldKana, MAX_MATCHED_CHARS, WITHDRAW } from './lexicon.ts';
import type { Hit } from './rules.ts';

/** Outage priority: an API / bot / real-time feed failure stops automated trading. */
const API_CONTEXT = new RegExp(foldKana(String.raw`\bapi\b|websocket|web socket|ウェブソケット|板情報|order ?book|\bstream\b|\bfeed\b|\bbots?\b|自動売買|自動取引|market making|マーケットメイク|\brest\b`));
const OUTAGE_BLOCKING = new Set(['outage.down', 'outage.server_error', 'outage.error_code', 'outage.broken_screen', 'outage.not_updating', 'outage.disconnect', 'outage.api_failing']);
const PROBLEM = new RegExp(foldKana(String.raw`\b(?:doesn'?t|don'?t|no longer) have\b|見当た(?:ら|り)|見つか(?:ら|り)|\bcan'?t find\b|ループ|先に進め|進めない|\bloops?\b|\bhangs?\b|no (?:response|reply|answer)|返事が|返信が|回答が|\bheard back\b|来ません|来ない|\bnever (?:received|got|arrived)\b|\bhaven'?t (?:received|heard|got)\b|\brejected\b|却下|否認|差し戻|通りません|通らない|何度やっても|\bkeeps? failing\b|終わらない|終わりません|進まない|進みません|経っても|たっても|\bstill (?:not|waiting|pending)\b|できない|できません|できず|エラー|\berror\b|\bcan'?t\b|\bcannot\b|\bunable\b|doesn'?t work|not working|届かない|届きません|never arrives?|\bfail`));
const SECURITY_REPORT = new RegExp(foldKana(String.raw`注意喚起|please do something|対応(?:を)?(?:お願い|して(?:ください|下さい|ほしい))|対処して|\bimpersonating\b|なりすまして(?:い)|\bgiveaway\b|\bwarn (?:other|users|people)\b|(?:人|アカウント|者|サイト|アプリ)がいます|(?:人|アカウント|者)がいる|転送|\bforward|\bthere(?:'s| is| are)\b|広告|出回|出ています|\bads?\b|があります|が存在|見つけ|報告|通報|お知らせします|削除|\bremove\b|takedown|\bfound\b|\breport(?:ing|ed)?\b|take (?:it|them) down|拡散`));
const URGENT_WORDS = new RegExp(foldKana(String.raw`緊急|至急|急ぎ|大至急|\burgent|\basap\b|\bimmediately\b|今すぐ`));
const LARGE_WORDS = new RegExp(foldKana(String.raw`全財産|全額|全資産|\ball my (?:funds|money|savings|assets|crypto|coins)\b|life savings|everything i have`));
/** Large amounts raise priority only for money being moved (not for an order's price level). */
const MONEY_MOVEMENT = new RegExp(foldKana(String.raw`${WITHDRAW}|${DEPOSIT}|送っ|送った|\bsent\b|\btransfer`));
const RECOVERY_REQUEST = new RegExp(foldKana(String.raw`戻せ|取り戻|組み戻し|\brecover|get (?:it|them) back`));
const TRADING_HIGH_DIRECT = new Set(['trading.duplicate_transaction']);
const TRADING_STUCK = new Set(['trading.transfer_missing', 'trading.deposit_missing', 'trading.withdrawal_delayed', 'trading.order_not_filled']);
const REGULATORY_LIGHT = new Set(['regulatory.terms', 'regulatory.change', 'regulatory.consent', 'regulatory.deadline']);

/** Amounts at or above which a single movement is "large" (money at risk → higher priority). */
const LARGE_AMOUNT: Record<string, number> = {
  btc: 1,
  eth: 20,
  xrp: 30_000,
  ltc: 200,
  bch: 100,
  sol: 200,
  doge: 200_000,
  usdt: 10_000,
  usdc: 10_000,
  jpy: 1_000_000,
};
const ASSET_ALIASES: Record<string, string> = { 円: 'jpy', yen: 'jpy', ビットコイン: 'btc', イーサリアム: 'eth', イーサ: 'eth', リップル: 'xrp' };
const AMOUNT_RE = /(\d[\d,]*(?:\.\d+)?) ?(万|億)? ?(btc|eth|xrp|ltc|bch|sol|doge|usdt|usdc|jpy|yen|円|ビットコイン|イーサリアム|イーサ|リップル)/g;
const DURATION_RE = /(\d+(?:\.\d+)?|[一二三四五六七八九十数何]{1,3}|\b(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|several|few|couple)(?: of)?) ?(?:営業|business )?(分|minutes?|mins?|時間|hours?|hrs?|日|days?|週間|weeks?|ヶ月|カ月|ケ月|months?)/g;
const LONG_WAIT_WORDS = new RegExp(foldKana(String.raw`何日も|数日|\bfor days\b|\ba (?:day|week|month)\b|\bseveral days\b|\bfew days\b|since yesterday|昨日から|先週から|\blast week\b`));
const KANJI_DIGITS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 数: 3, 何: 3 };
const ENGLISH_NUMBERS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, several: 3, few: 3, couple: 2 };

function parseCount(s: string): number {
  if (/^\d/.test(s)) return Number.parseFloat(s);
  const word = ENGLISH_NUMBERS[s.replace(/ of$/, '')];
  if (word !== undefined) return word;
  const ten = s.indexOf('十');
  if (ten >= 0) return (KANJI_DIGITS[s.slice(0, ten)] ?? 1) * 10 + (KANJI_DIGITS[s.slice(ten + 1)] ?? 0);
  return KANJI_DIGITS[s] ?? 0;
}

function hoursOf(count: number, unit: string): number {
  if (unit === '分' || unit.startsWith('min')) return count / 60;
  if (unit === '時間' || unit.startsWith('h')) return count;
  if (unit === '日' || unit.startsWith('day')) return count * 24;
  if (unit === '週間' || unit.startsWith('week')) return count * 24 * 7;
  return count * 24 * 30;
}

/** The priority rules' ids (a reason names which of them set the priority). */
export const PRIORITY_RULE_IDS = [
  'priority.security_incident', 'priority.phishing_report', 'priority.attack_attempts', 'priority.freeze_request', 'priority.security_default',
  'priority.api_outage', 'priority.outage_minor', 'priority.outage_default', 'priority.trading_default', 'priority.terms_question',
  'priority.regulatory_default', 'priority.user_blocked', 'priority.general_question', 'priority.user_says_urgent', 'priority.security_floor',
  'priority.funds_misdirected', 'priority.recovery_request', 'priority.duplicate_movement', 'priority.loss_claimed', 'priority.long_wait',
  'priority.large_amount',
] as const;
type PriorityRuleId = (typeof PRIORITY_RULE_IDS)[number];

export interface PriorityEvidence {
  text: string;
  hits: Hit[];
  hitIds: Set<string>;
  incidentHits: Hit[];
  fields: TicketFields | undefined;
  find: (re: RegExp) => string | null;
}

/** The priority for `type`; the reasons for it are pushed onto `priorityReasons`. */
export function priorityFor(type: TicketType, evidence: PriorityEvidence, priorityReasons: TriageReason[]): Priority {
  const { text, hits, hitIds, incidentHits, find } = evidence;
  const incident = incidentHits.length > 0;
  const set = (p: Priority, ruleId: PriorityRuleId, matched: string, why: string): Priority => {
    priorityReasons.push({ rule: ruleId, matched, effect: `priority ${p} (${why})`, code: 'priority', params: { priority: p } });
    return p;
  };
  const matchedOf = (id: string): string => hits.find((h) => h.rule.id === id)?.matched ?? '';
  let priority: Priority;

  if (type === 'security') {
    if (incident) priority = set('urgent', 'priority.security_incident', incidentHits[0]?.matched ?? '', 'suspected security incident');
    else if ((hitIds.has('security.phishing') || hitIds.has('security.suspicious_contact')) && SECURITY_REPORT.test(text))
      priority = set('high', 'priority.phishing_report', find(SECURITY_REPORT) ?? '', 'report of a phishing site/app to take down');
    else if (hitIds.has('security.attack_attempts')) priority = set('high', 'priority.attack_attempts', matchedOf('security.attack_attempts'), 'someone may be trying to get in');
    else if (hitIds.has('security.freeze_request')) priority = set('high', 'priority.freeze_request', matchedOf('security.freeze_request'), 'user asks to freeze the account');
    else priority = set('normal', 'priority.security_default', '', 'security question, no sign of an incident; never low');
  } else if (type === 'outage') {
    const blocking = [...hitIds].some((id) => OUTAGE_BLOCKING.has(id));
    const apiWords = find(API_CONTEXT);
    if (apiWords && (blocking || hitIds.has('outage.slow'))) priority = set('high', 'priority.api_outage', apiWords, 'API / bots / real-time feed affected');
    else if (!blocking && (hitIds.has('outage.maintenance') || hitIds.has('outage.slow')) && !PROBLEM.test(text))
      priority = set('low', 'priority.outage_minor', matchedOf('outage.maintenance') || matchedOf('outage.slow'), 'maintenance question or slowness only');
    else priority = set('normal', 'priority.outage_default', '', 'service problem');
  } else if (type === 'trading') {
    priority = tradingPriority(text, hitIds, hits, evidence.fields, set, find) ?? set('normal', 'priority.trading_default', '', 'trading problem');
  } else if (type === 'regulatory') {
    const regulatoryIds = [...hitIds].filter((id) => id.startsWith('regulatory.'));
    if (hitIds.has('regulatory.terms') && regulatoryIds.every((id) => REGULATORY_LIGHT.has(id)))
      priority = set('low', 'priority.terms_question', matchedOf('regulatory.terms') || matchedOf(regulatoryIds[0] ?? ''), 'question about terms/policy wording');
    else priority = set('normal', 'priority.regulatory_default', '', 'regulation affects the account');
  } else {
    if (hitIds.has('other.account_access') || PROBLEM.test(text)) {
      priority = set('normal', 'priority.user_blocked', matchedOf('other.account_access') || find(PROBLEM) || '', 'user cannot use the account');
    } else priority = set('low', 'priority.general_question', matchedOf('other.how_to') || matchedOf('other.question'), 'general question');
  }
  if (priority === 'low') {
    const urgentWords = find(URGENT_WORDS);
    if (urgentWords) priority = set('normal', 'priority.user_says_urgent', urgentWords, 'user says it is urgent');
  }
  if (type === 'security' && priority === 'low') priority = set('normal', 'priority.security_floor', '', 'security tickets are never low');
  return priority;
}

function tradingPriority(
  text: string,
  hitIds: Set<string>,
  hits: Hit[],
  fields: TicketFields | undefined,
  set: (p: Priority, ruleId: PriorityRuleId, matched: string, why: string) => Priority,
  find: (re: RegExp) => string | null,
): Priority | null {
  const matchedOf = (id: string): string => hits.find((h) => h.rule.id === id)?.matched ?? '';
  if (hitIds.has('trading.misdirected_transfer')) return set('high', 'priority.funds_misdirected', matchedOf('trading.misdirected_transfer'), 'funds sent to the wrong place, recovery needed');
  if (hitIds.has('trading.recovery') && RECOVERY_REQUEST.test(text))
    return set('high', 'priority.recovery_request', matchedOf('trading.recovery'), 'user asks to recover sent funds');
  for (const id of TRADING_HIGH_DIRECT) if (hitIds.has(id)) return set('high', 'priority.duplicate_movement', matchedOf(id), 'money may have moved twice');
  if (hitIds.has('trading.compensation'))
    return set('high', 'priority.loss_claimed', matchedOf('trading.compensation'), 'user reports a loss / asks for compensation');
  const stuck = [...hitIds].some((id) => TRADING_STUCK.has(id));
  if (stuck) {
    let longest = 0;
    let longestWords = '';
    let n = 0;
    DURATION_RE.lastIndex = 0;
    for (let m = DURATION_RE.exec(text); m && n < 20; m = DURATION_RE.exec(text), n++) {
      const h = hoursOf(parseCount(m[1] ?? '0'), m[2] ?? '');
      if (h > longest) {
        longest = h;
        longestWords = m[0];
      }
    }
    if (longest >= 24) return set('high', 'priority.long_wait', longestWords, 'stuck for a day or more');
    const waitWords = find(LONG_WAIT_WORDS);
    if (waitWords) return set('high', 'priority.long_wait', waitWords, 'stuck for a day or more');
  }
  if (!MONEY_MOVEMENT.test(text) && !fields?.amount) return null;
  const largeWords = find(LARGE_WORDS);
  if (largeWords) return set('high', 'priority.large_amount', largeWords, 'all of the user\'s funds');
  let n = 0;
  AMOUNT_RE.lastIndex = 0;
  for (let m = AMOUNT_RE.exec(text); m && n < 20; m = AMOUNT_RE.exec(text), n++) {
    const unit = m[3] ?? '';
    const asset = ASSET_ALIASES[unit] ?? unit;
    const value = Number.parseFloat((m[1] ?? '0').replace(/,/g, '')) * (m[2] === '万' ? 1e4 : m[2] === '億' ? 1e8 : 1);
    const threshold = LARGE_AMOUNT[asset];
    if (threshold !== undefined && value >= threshold) return set('high', 'priority.large_amount', m[0], `large amount of ${asset.toUpperCase()}`);
  }
  if (fields?.amount && fields.asset) {
    const value = Number.parseFloat(fields.amount.replace(/[,\s]/g, ''));
    const asset = fields.asset.trim().toLowerCase();
    const threshold = LARGE_AMOUNT[ASSET_ALIASES[asset] ?? asset];
    if (threshold !== undefined && Number.isFinite(value) && value >= threshold)
      return set('high', 'priority.large_amount', `${fields.amount} ${fields.asset}`.slice(0, MAX_MATCHED_CHARS), 'large amount (form fields)');
  }
  return null;
}
