import type { Db } from '../store/db.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { SYSTEM_ACTOR } from '../domain/actor.ts';
import { StatusCommands } from './commands.ts';
import { applyComponentConfig, parseComponentConfig } from './component-config.ts';
import { readFileSync } from 'node:fs';

/** A bitbank-like exchange: JPY spot pairs, REST and WebSocket APIs, JPY and crypto transfers, sign-in. */
const DEMO_COMPONENTS = new URL('../../examples/components.bitbank.json', import.meta.url);

const DAY = 86_400_000;
const DEMO_SEED_LOCK = 7_301_945;

/** Fills an empty database with the demo exchange; does nothing if components already exist. */
export async function seedDemoData(db: Db, now = new Date()): Promise<boolean> {
  const createdAt = new Date(now.getTime() - 120 * DAY);
  // Several processes may start on an empty database at once: the lock makes exactly one of them seed.
  const seeded = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [DEMO_SEED_LOCK]);
    const existing = await tx.query('SELECT 1 FROM components LIMIT 1');
    if (existing.length) return false;
    const entries = parseComponentConfig(JSON.parse(readFileSync(DEMO_COMPONENTS, 'utf8')));
    await applyComponentConfig(tx, SYSTEM_ACTOR, entries, createdAt);
    await appendAudit(tx, { actorType: 'system', actorId: null, action: 'demo.seed', data: { components: entries.length } });
    return true;
  });
  if (!seeded) return false;

  // Past incidents are written through the real commands with a clock set in the past, so their timelines,
  // component history and audit entries look exactly like ones staff would make.
  let clock = now;
  const commands = new StatusCommands(db, () => clock);
  const at = (daysAgo: number, hour: number, minute = 0) => {
    const d = new Date(now.getTime() - daysAgo * DAY);
    d.setUTCHours(hour - 9, minute, 0, 0); // hour is JST
    return d;
  };

  clock = at(52, 10, 5);
  const api = await commands.declareIncident(SYSTEM_ACTOR, {
    type: 'outage', severity: 'SEV3', status: 'investigating',
    nameJa: 'REST API の応答遅延', nameEn: 'Slow REST API responses',
    bodyJa: '一部の REST API で応答が遅くなっています。原因を調査しています。',
    bodyEn: 'Some REST API requests are responding slowly. We are investigating.',
    componentStatuses: { restapi00000: 'degraded_performance' },
  });
  clock = at(52, 10, 40);
  await commands.postUpdate(SYSTEM_ACTOR, api.incidentId, {
    status: 'identified', bodyJa: 'データベースの負荷が原因と特定しました。対策を実施しています。',
    bodyEn: 'We found the cause: load on a database. A fix is being applied.',
  });
  clock = at(52, 11, 30);
  await commands.postUpdate(SYSTEM_ACTOR, api.incidentId, {
    status: 'resolved', bodyJa: '対策の結果、応答時間は通常に戻りました。ご不便をおかけしました。',
    bodyEn: 'Response times are back to normal. We apologise for the inconvenience.',
  });

  clock = at(19, 14, 20);
  const xrp = await commands.declareIncident(SYSTEM_ACTOR, {
    type: 'trading', severity: 'SEV2', status: 'investigating',
    nameJa: 'XRP の出金遅延', nameEn: 'Delayed XRP withdrawals',
    bodyJa: 'XRP の出金処理が遅れています。お客様の資産は安全に保管されています。出金申請の取り消しや再申請は不要です。',
    bodyEn: 'XRP withdrawals are delayed. Your assets are safe. There is no need to cancel or resubmit withdrawal requests.',
    componentStatuses: { xrptransfer0: 'partial_outage' },
  });
  clock = at(19, 15, 10);
  await commands.postUpdate(SYSTEM_ACTOR, xrp.incidentId, {
    status: 'identified', bodyJa: 'XRP ネットワークとの接続ノードの不具合を特定し、切り替えを行っています。',
    bodyEn: 'We found a fault in the node that connects us to the XRP network and are switching to another one.',
    componentStatuses: { xrptransfer0: 'major_outage' },
  });
  clock = at(19, 16, 0);
  await commands.postUpdate(SYSTEM_ACTOR, xrp.incidentId, {
    status: 'monitoring', bodyJa: '出金処理を再開しました。滞留していた出金を順次処理しています。',
    bodyEn: 'Withdrawals have resumed. Queued withdrawals are being processed in order.',
    componentStatuses: { xrptransfer0: 'degraded_performance' },
  });
  clock = at(19, 17, 45);
  await commands.postUpdate(SYSTEM_ACTOR, xrp.incidentId, {
    status: 'resolved', bodyJa: '滞留していたすべての出金の処理が完了しました。',
    bodyEn: 'All queued withdrawals have been processed.',
  });

  clock = now;
  const start = at(-3, 2, 0);
  await commands.scheduleMaintenance(SYSTEM_ACTOR, {
    nameJa: '定期システムメンテナンス', nameEn: 'Scheduled system maintenance',
    bodyJa: 'システムの安定運用のため、定期メンテナンスを実施します。実施中は取引・入出金・ログインがご利用いただけません。開始前に注文内容をご確認ください。',
    bodyEn: 'We will carry out scheduled maintenance. During it, trading, deposits, withdrawals and sign-in are unavailable. Please review your open orders before it starts.',
    scheduledFor: start.toISOString(),
    scheduledUntil: new Date(start.getTime() + 2 * 3600_000).toISOString(),
    componentIds: ['pairbtcjpy00', 'pairethjpy00', 'pairxrpjpy00', 'pairaltjpy00', 'pairbtcq0000', 'restapi00000', 'websocket000', 'signin000000'],
    autoTransition: true,
  });
  return true;
}
