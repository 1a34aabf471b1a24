/**
 * A stored triage reason as a stable key and its values, for the console to show in its own language. New
 * reasons carry `code` and `params` (set where they are made: triage.ts, triage-combined.ts, incident-match.ts,
 * the lock and detection); reasons stored before that carry only the English `effect`, which this code wrote in a
 * fixed form: it is read back here, so old tickets are shown translated too. What cannot be read is left to the
 * caller (the console then shows the English text, marked as English).
 */
import { isReasonCode, type ReasonCode, type TriageReason } from '../../domain/ticket.ts';

export interface ReasonDetail {
  code: ReasonCode;
  params: Record<string, string | number>;
}

/** Only strings and finite numbers, only a few, only short: the params come from a JSON column. */
function cleanParams(value: unknown): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value).slice(0, 12)) {
    if (!/^\w{1,20}$/.test(k)) continue;
    if (typeof v === 'string') out[k] = v.slice(0, 200);
    else if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  return out;
}

/** "security 85%, outage 10%" (or " / " between them) → type1, p1, type2, p2. */
function parseTop(text: string): Record<string, string | number> {
  const params: Record<string, string | number> = {};
  [...text.matchAll(/(\w+) (\d{1,3})%/g)].slice(0, 2).forEach((m, i) => {
    params[`type${i + 1}`] = m[1]!;
    params[`p${i + 1}`] = Number(m[2]);
  });
  return params;
}

const percent = (text: string): number | undefined => {
  const m = /^(\d{1,3})%$/.exec(text);
  return m ? Number(m[1]) : undefined;
};

/** The English effects this code wrote before reasons had codes, read back. */
function parseLegacy(r: TriageReason): ReasonDetail | null {
  const e = r.effect;
  let m: RegExpExecArray | null;
  const chosen = (notChosen: string | undefined) => (notChosen ? 0 : 1);
  if (r.rule === 'model.type' && (m = /^learned model (\S+): (type chosen|not chosen)$/.exec(e))) {
    return { code: 'model', params: { version: m[1]!, chosen: m[2] === 'type chosen' ? 1 : 0, ...parseTop(r.matched) } };
  }
  if (r.rule === 'model.strong_security') return { code: 'model_security', params: { p: percent(r.matched) ?? '?' } };
  if (r.rule === 'model.priority' && (m = /^learned model: priority (\w+)$/.exec(e))) return { code: 'model_priority', params: { priority: m[1]!, p: percent(r.matched) ?? '?' } };
  if (r.rule === 'safety.possible_security') return { code: 'safety_high', params: { p: percent(r.matched) ?? '?' } };
  if (r.rule === 'review.needs_human' && e.startsWith('needs a human: ')) {
    const why: string[] = [];
    let top: Record<string, string | number> = {};
    for (const part of e.slice('needs a human: '.length).split('; ')) {
      if (part.startsWith('the model is unsure')) {
        why.push('unsure');
        top = parseTop(part);
      } else if (part === 'the rules say security, the model does not') why.push('rules_security');
      else if (part === 'the model says security, the rules do not') why.push('model_security');
      else if (part === 'a possible security incident filed as another type') why.push('possible_incident');
      else return null;
    }
    return { code: 'needs_human', params: { why: why.join(','), ...top } };
  }
  if (r.rule === 'incident.link') {
    if ((m = /^type (\w+) fits incident type (\w+)$/.exec(e))) return { code: 'link_type', params: { type: m[1]!, incidentType: m[2]! } };
    if ((m = /^mentions affected component "(.*)" \+(\d+)$/.exec(e))) return { code: 'link_component', params: { component: m[1]!, weight: Number(m[2]) } };
    if ((m = /^shares words with the incident name \((.*)\) \+(\d+)$/.exec(e))) return { code: 'link_words', params: { words: m[1]!, weight: Number(m[2]) } };
    if ((m = /^a general outage report while this is the only open outage \+(\d+)$/.exec(e))) return { code: 'link_only_outage', params: { weight: Number(m[1]) } };
    return null;
  }
  if (r.rule === 'lock.account_locked') return { code: 'lock', params: {} };
  if (r.rule.startsWith('detection.') && (m = /priority (\w+) \(detection\)$/.exec(e))) return { code: 'detection', params: { priority: m[1]! } };
  if ((m = /^security incident: type security \+(\d+), priority urgent$/.exec(e))) return { code: 'incident', params: { weight: Number(m[1]) } };
  if ((m = /^worry, no sign it happened: type security \+(\d+)( \(not chosen\))?$/.exec(e))) return { code: 'worry', params: { weight: Number(m[1]), chosen: chosen(m[2]) } };
  if (e.startsWith('hypothetical/preventive question')) return { code: 'hypothetical', params: {} };
  if ((m = /^type trading \+1 \((?:order|transaction) id given\)(, not chosen)?$/.exec(e))) return { code: 'field', params: { chosen: chosen(m[1]) } };
  if ((m = /^type (\w+) \+(\d+) \(user-chosen category(, not chosen)?\)$/.exec(e))) return { code: 'hint', params: { type: m[1]!, weight: Number(m[2]), chosen: chosen(m[3]) } };
  if ((m = /^user-chosen category (\w+) \+(\d+); overridden by the security incident$/.exec(e))) return { code: 'hint_overridden', params: { type: m[1]!, weight: Number(m[2]) } };
  if ((m = /^type (\w+) \+(\d+)( \(not chosen\))?$/.exec(e))) return { code: 'score', params: { type: m[1]!, weight: Number(m[2]), chosen: chosen(m[3]) } };
  if ((m = /^priority (\w+) \(/.exec(e))) return { code: 'priority', params: { priority: m[1]! } };
  if (e === 'no strong signal for any emergency type: type other') return { code: 'default_type', params: { type: 'other' } };
  if (r.rule === 'type.default' && (m = /^type (\w+)$/.exec(e))) return { code: 'default_type', params: { type: m[1]! } };
  if ((m = /^only the first (\d+) characters were analysed$/.exec(e))) return { code: 'truncated', params: { max: Number(m[1]) } };
  return null;
}

/** What a reason did, as a key and values; null when neither stored nor readable (shown as stored). */
export function reasonDetail(r: TriageReason): ReasonDetail | null {
  if (isReasonCode(r.code)) return { code: r.code, params: cleanParams(r.params) };
  return typeof r.effect === 'string' ? parseLegacy(r) : null;
}
