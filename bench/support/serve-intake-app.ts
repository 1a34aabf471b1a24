/**
 * The real kinkyu app (from test/support/app.ts: migrations, demo exchange) on a PostgreSQL server, for the
 * intake benchmark: the contact form as users reach it, with triage, incident linking and the confirmation
 * email queued in the outbox. No SMTP is configured, so mail stays queued; the contact rate limit is lifted.
 *
 *   node --import tsx bench/support/serve-intake-app.ts --postgres URL
 *
 * Before saying ready it declares an open outage incident (so every "is it down?" ticket is linked and answered
 * with the incident's latest public update) and waits until the public snapshot shows it. Prints
 * {"event":"ready","baseUrl":...,"incidentId":...} on stdout; exits when stdin closes or on SIGTERM/SIGINT.
 */
import { exitWithParent } from './child-exit.ts';
import { importBuilt } from './built.ts';

const { SYSTEM_ACTOR } = await importBuilt<typeof import('../../src/domain/actor.ts')>('src/domain/actor.ts');
const { startApp } = await importBuilt<typeof import('../../test/support/app.ts')>('test/support/app.ts');

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  const value = i === -1 ? fallback : process.argv[i + 1];
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
}

const app = await startApp({
  databaseUrl: arg('--postgres'),
  config: { contactRateLimit: 1_000_000_000, smtpUrl: undefined },
});

const { incidentId } = await app.commands.declareIncident(SYSTEM_ACTOR, {
  type: 'outage', severity: 'SEV1', status: 'investigating',
  nameJa: '取引所に接続できない障害', nameEn: 'Exchange unreachable',
  bodyJa: '取引所のWebサイトとアプリに接続できない状態です。調査しています。',
  bodyEn: 'The exchange website and app cannot be reached. We are investigating.',
  componentStatuses: { pairbtcjpy00: 'major_outage', restapi00000: 'major_outage' },
});
await app.commands.postUpdate(SYSTEM_ACTOR, incidentId, {
  status: 'identified',
  bodyJa: '原因はロードバランサーの故障と判明しました。切り替え作業を行っています。お客様の資産は安全です。',
  bodyEn: 'The cause is a failed load balancer; we are switching to a spare. Your assets are safe.',
});
await app.site.refresh();
for (let waited = 0; !app.site.current()?.incidents.some((i) => i.id === incidentId && i.updates.length === 2); waited += 50) {
  if (waited > 10_000) throw new Error('the public snapshot never showed the incident');
  await new Promise((r) => setTimeout(r, 50));
  await app.site.refresh();
}

exitWithParent(() => app.stop(), 3000);

process.stdout.write(`${JSON.stringify({ event: 'ready', baseUrl: app.baseUrl, pid: process.pid, incidentId, poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10) })}\n`);
