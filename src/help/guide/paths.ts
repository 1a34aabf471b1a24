/**
 * "What happened?": the five emergency types (the seed's §1, the same list as ticket and incident types), the
 * follow-up questions each asks (at most two), and the steps for every combination of answers (seed §3).
 * Pure data and decisions; rendering is in views.ts.
 */
import { TICKET_TYPES, isTicketType, type TicketType } from '../../domain/ticket.ts';
import type { Need } from '../channels.ts';

export const EMERGENCY_TYPES = TICKET_TYPES;
export type EmergencyType = TicketType;
export const isEmergencyType = isTicketType;

export type QuestionId = 'taken' | 'signin' | 'what';

export interface Question {
  id: QuestionId;
  options: readonly string[];
}

const TAKEN: Question = { id: 'taken', options: ['yes', 'no', 'unsure'] };
const SIGNIN: Question = { id: 'signin', options: ['yes', 'no'] };
const WHAT: Question = { id: 'what', options: ['order', 'deposit', 'withdrawal'] };

export type Answers = Partial<Record<QuestionId, string>>;

/** The next question to ask, or null when the answers are enough for the steps. */
export function nextQuestion(type: EmergencyType, answers: Answers): Question | null {
  switch (type) {
    case 'security':
      if (!answers.taken) return TAKEN;
      // When assets may be gone, the steps are the same whether or not the user can still sign in: don't ask.
      return answers.taken === 'no' && !answers.signin ? SIGNIN : null;
    case 'trading':
      return answers.what ? null : WHAT;
    default:
      return null;
  }
}

/**
 * The answers from a query string that belong to this path, in question order. Anything else (unknown
 * keys, unknown values, repeated keys, answers to questions this path never asks) is ignored.
 */
export function readAnswers(type: EmergencyType, query: Record<string, unknown>): Answers {
  const answers: Answers = {};
  for (let q = nextQuestion(type, answers); q; q = nextQuestion(type, answers)) {
    const value = query[q.id];
    if (typeof value !== 'string' || !q.options.includes(value)) break;
    answers[q.id] = value;
  }
  return answers;
}

export type StepId =
  | 'lock'
  | 'status'
  | 'pause'
  | 'ownSide'
  | 'x'
  | 'form'
  | 'phone'
  | 'police'
  | 'policeIfStolen'
  | 'otherPasswords'
  | 'unlockLater'
  | 'password'
  | 'twoFactor'
  | 'sessions'
  | 'lockIfOdd'
  | 'forgot'
  | 'tradeHistory'
  | 'orderIds'
  | 'depositCheck'
  | 'transferIds'
  | 'notMine'
  | 'noResend'
  | 'notices'
  | 'terms'
  | 'deadline'
  | 'search'
  | 'articles'
  | 'prepare';

/** The steps for a path whose questions are all answered, most urgent first. */
export function stepsFor(type: EmergencyType, answers: Answers, live: { troubleNow: boolean }): StepId[] {
  switch (type) {
    case 'outage':
      return live.troubleNow ? ['status', 'pause', 'x', 'form'] : ['status', 'ownSide', 'x', 'form'];
    case 'security':
      if (answers.taken === 'yes') return ['lock', 'phone', 'form', 'police', 'otherPasswords', 'unlockLater'];
      if (answers.taken === 'unsure') return ['lock', 'phone', 'form', 'policeIfStolen', 'otherPasswords', 'unlockLater'];
      return answers.signin === 'yes'
        ? ['password', 'twoFactor', 'sessions', 'lockIfOdd', 'phone', 'form']
        : ['lock', 'phone', 'form', 'forgot'];
    case 'trading':
      if (answers.what === 'order') return ['tradeHistory', 'status', 'orderIds', 'form'];
      if (answers.what === 'deposit') return ['tradeHistory', 'depositCheck', 'status', 'transferIds', 'form'];
      return ['notMine', 'tradeHistory', 'status', 'noResend', 'transferIds', 'form'];
    case 'regulatory':
      return ['notices', 'terms', 'deadline', 'form'];
    case 'other':
      return ['search', 'articles', 'status', 'form', 'prepare'];
  }
}

/** Which kind of help the path needs, for channel routing (src/help/channels.ts). */
export function needOf(type: EmergencyType): Need {
  switch (type) {
    case 'security':
      return 'urgent_security';
    case 'outage':
      return 'status';
    case 'other':
      return 'self_help';
    default:
      return 'question';
  }
}

/**
 * Words to look up related help articles with, one search per word (results merged): single words work with
 * any engine behind ArticleSearch, and each finds the article that owns it.
 */
export function relatedQueries(type: EmergencyType, answers: Answers, lang: 'ja' | 'en'): readonly string[] {
  const ja = lang === 'ja';
  switch (type) {
    case 'outage':
      return ja ? ['障害', 'ログインできない', 'メンテナンス'] : ['outage', 'sign in', 'maintenance'];
    case 'security':
      return ja ? ['乗っ取り', '盗まれた', '二段階認証'] : ['takeover', 'stolen', 'two-factor'];
    case 'trading':
      if (answers.what === 'deposit') return ja ? ['入金', '承認数'] : ['deposit', 'confirmations'];
      if (answers.what === 'withdrawal') return ja ? ['出金', '承認数'] : ['withdrawal', 'confirmations'];
      if (answers.what === 'order') return ja ? ['注文', '約定'] : ['order', 'filled'];
      return ja ? ['注文', '入金', '出金'] : ['order', 'deposit', 'withdrawal'];
    case 'regulatory':
      return ja ? ['利用規約', '手続き', 'お知らせ'] : ['terms', 'notice', 'deadline'];
    case 'other':
      return ja ? ['フィッシング', '二段階認証', '備え'] : ['phishing', 'two-factor', 'prepare'];
  }
}
