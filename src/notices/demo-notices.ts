import type { Db } from '../store/db.ts';
import { SYSTEM_ACTOR } from '../domain/actor.ts';
import { createNoticeIn } from './notices.ts';
import { createTermsIn } from './terms.ts';
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

/** Any constant: processes starting together on an empty database seed the demo notices once. */
const DEMO_NOTICES_LOCK = 7_301_946;

/**
 * A regulatory notice and two terms versions for the demo, the second needing the user's agreement: signing in
 * as the demo user shows the terms gate. Only into a database without notices or terms; one transaction under
 * an advisory lock, so a second process starting at the same moment finds the work done.
 */
export async function seedDemoNotices(db: Db, now: Date, timeZone: string): Promise<boolean> {
  const today = todayIn(now, timeZone);
  const inDays = (days: number) => todayIn(new Date(now.getTime() + days * DAY_MS), timeZone);
  const terms = (label: string, bodyJa: string, summaryJa: string, summaryEn: string, ack: boolean) => ({
    label, effectiveFrom: today, bodyJa, bodyEn: null, summaryJa, summaryEn, ackRequired: ack, ackDeadline: ack ? inDays(30) : null,
  });
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [DEMO_NOTICES_LOCK]);
    const [row] = await tx.query<{ n: number }>('SELECT (SELECT count(*) FROM notices) + (SELECT count(*) FROM terms_versions) AS n');
    if (Number(row?.n ?? 0) > 0) return false;
    await createTermsIn(tx, SYSTEM_ACTOR, terms('1', TERMS_V1_JA, '最初の版です。', 'The first version.', false), { publish: true, now });
    await createTermsIn(tx, SYSTEM_ACTOR, terms('2', TERMS_V2_JA,
      '出金を毎日処理するようにし、送付先の情報のお願いと、不正利用のおそれがあるときのロックを加えました。',
      'Withdrawals are now processed every day; transfers may ask for the recipient\'s details; lock your account at once if it may be misused.',
      true), { publish: true, now: new Date(now.getTime() + 1000) });
    await createNoticeIn(tx, SYSTEM_ACTOR, {
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
  });
}
