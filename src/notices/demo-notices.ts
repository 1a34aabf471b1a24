import type { Db } from '../store/db.ts';
import { SYSTEM_ACTOR } from '../domain/actor.ts';
import { isKinkyuError } from '../domain/errors.ts';
import { createNotice } from './notices.ts';
import { createTerms } from './terms.ts';
import { todayIn } from './days.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

const TERMS_V1_JA = `## 第1条（目的）
この規約は、当取引所が提供する暗号資産の売買・入出金サービスの利用条件を定めます。

## 第2条（出金）
出金は、登録済みの出金先アドレスに限り、平日に限り処理します。

## 第3条（アカウントの保護）
お客さまは、パスワードと二段階認証の情報を第三者に知らせてはなりません。`;

const TERMS_V2_JA = `## 第1条（目的）
この規約は、当取引所が提供する暗号資産の売買・入出金サービスの利用条件を定めます。

## 第2条（出金）
出金は、登録済みの出金先アドレスに限り、毎日処理します。送付先の取引所名と受取人の氏名をお知らせいただく場合があります。

## 第3条（アカウントの保護）
お客さまは、パスワードと二段階認証の情報を第三者に知らせてはなりません。不正な利用のおそれがあるときは、直ちにアカウントをロックしてください。`;

/**
 * A regulatory notice and two terms versions for the demo, the second needing the user's agreement: signing in
 * as the demo user shows the terms gate. Only into a database without notices or terms;
 * version 1 goes first so that a second process seeding at the same moment stops at its unique label.
 */
export async function seedDemoNotices(db: Db, now: Date, timeZone: string): Promise<boolean> {
  const [row] = await db.query<{ n: number }>('SELECT (SELECT count(*) FROM notices) + (SELECT count(*) FROM terms_versions) AS n');
  if (Number(row?.n ?? 0) > 0) return false;
  const today = todayIn(now, timeZone);
  const inDays = (days: number) => todayIn(new Date(now.getTime() + days * DAY_MS), timeZone);
  const terms = (label: string, bodyJa: string, summaryJa: string, summaryEn: string, ack: boolean) => ({
    label, effectiveFrom: today, bodyJa, bodyEn: null, summaryJa, summaryEn, ackRequired: ack, ackDeadline: ack ? inDays(30) : null,
  });
  try {
    await createTerms(db, SYSTEM_ACTOR, terms('1', TERMS_V1_JA, '最初の版です。', 'The first version.', false), { publish: true, now, today });
  } catch (err) {
    // Two processes started together on an empty database: the other one is seeding (the label is unique).
    if (isKinkyuError(err) && err.code === 'CONFLICT') return false;
    throw err;
  }
  await createTerms(db, SYSTEM_ACTOR, terms('2', TERMS_V2_JA,
    '出金を毎日処理するようにし、送付先の情報のお願いと、不正利用のおそれがあるときのロックを加えました。',
    'Withdrawals are now processed every day; transfers may ask for the recipient\'s details; lock your account at once if it may be misused.',
    true), { publish: true, now: new Date(now.getTime() + 1000), today });
  await createNotice(db, SYSTEM_ACTOR, {
    titleJa: '暗号資産の送付時に送付先の情報をお知らせいただきます',
    titleEn: 'Transfers of crypto assets will ask for the recipient\'s details',
    changesJa: '法令の改正に合わせ、外部への暗号資産の送付では、送付先の取引所名と受取人の氏名をお知らせいただきます。',
    changesEn: 'To follow an amended law, sending crypto assets to another service will ask for the receiving exchange and the recipient\'s name.',
    actionJa: '出金の前に、送付先の取引所名と受取人の氏名をご確認ください。登録済みの出金先アドレスも、初回の送付時に確認をお願いします。',
    actionEn: 'Before a withdrawal, have the receiving exchange\'s name and the recipient\'s name ready. Saved withdrawal addresses are confirmed at their first use.',
    effectiveFrom: inDays(14),
    deadline: null,
  }, { publish: true, now });
  return true;
}
