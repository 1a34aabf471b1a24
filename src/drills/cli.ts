import { writeFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import { SYSTEM_ACTOR } from '../domain/actor.ts';
import { isKinkyuError } from '../domain/errors.ts';
import { errorMessage } from '../web/errors.ts';
import type { Lang } from '../web/i18n.ts';
import type { buildApp as BuildApp } from '../server.ts';
import type { LoadedAuditKey } from '../audit/audit-key.ts';
import { reportText, type DrillReport } from './report.ts';
import { DRILL_USAGE } from './usage.ts';
import { parseStart } from './service.ts';

export interface DrillCliValues {
  scenario?: string | undefined;
  surge?: string | undefined;
  takeovers?: string | undefined;
  'no-monitors'?: boolean | undefined;
  interactive?: boolean | undefined;
  id?: string | undefined;
  lang?: string | undefined;
  out?: string | undefined;
}

export interface DrillCliDeps {
  openMigrated(config: Config): Promise<Db>;
  useAuditKey(config: Config, db: Db): Promise<LoadedAuditKey>;
  out(text: string): void;
  err(text: string): void;
}

/** Both languages, Japanese first: an operator's terminal may be either. */
function refusal(deps: DrillCliDeps, err: unknown): number {
  if (!isKinkyuError(err)) throw err;
  deps.err(`エラー: ${errorMessage('ja', err, 'drill')}\nerror: ${errorMessage('en', err, 'drill')}\n`);
  return err.httpStatus === 400 ? 2 : 1;
}

async function keep(out: string | undefined, report: DrillReport, text: string): Promise<void> {
  if (!out) return;
  await writeFile(out, out.endsWith('.json') ? `${JSON.stringify(report, null, 2)}\n` : `${text}\n`, { mode: 0o644 });
}

/**
 * `kinkyu drill …`. Bad input (an unknown scenario, a count out of range, a missing id) is refused before the
 * database is opened: nothing is written. Exit codes: 0 done, 1 the drill's checks failed (or it already finished),
 * 2 bad input.
 */
export async function drillCommand(config: Config, sub: string | undefined, values: DrillCliValues, deps: DrillCliDeps): Promise<number> {
  const lang: Lang = values.lang === 'en' ? 'en' : values.lang === 'ja' ? 'ja' : config.defaultLang;
  if (sub !== undefined && sub !== 'finish' && sub !== 'report') {
    deps.err(`エラー: 不明なサブコマンド「${sub}」です。\nerror: unknown subcommand "${sub}".\n\n${DRILL_USAGE}\n`);
    return 2;
  }
  let parsed: ReturnType<typeof parseStart> | null = null;
  if (sub === undefined) {
    try {
      parsed = parseStart({ scenario: values.scenario, surge: values.surge, takeovers: values.takeovers, monitors: !values['no-monitors'], scripted: !values.interactive, via: 'cli' });
    } catch (err) {
      const code = refusal(deps, err);
      deps.err(`\n${DRILL_USAGE}\n`);
      return code;
    }
  } else if (!values.id || !/^[0-9a-z]{1,64}$/.test(values.id)) {
    deps.err(`エラー: --id に訓練IDを指定してください。\nerror: give the drill's id with --id.\n\n${DRILL_USAGE}\n`);
    return 2;
  }
  const db = await deps.openMigrated(config);
  let close: (() => Promise<void>) | null = null;
  try {
    const auditKey = await deps.useAuditKey(config, db);
    // Loaded only here: the other commands start without the whole application.
    const buildApp: typeof BuildApp = (await import('../server.ts')).buildApp;
    // No monitor runs from a drill's process: a drill's monitor failures are synthetic.
    const app = await buildApp({ config: { ...config, monitors: { ...config.monitors, enabled: false } }, db, auditKey });
    close = app.close;
    await app.site.refresh();
    const { drills } = app;
    try {
      if (sub === 'report' || sub === 'finish') {
        const report = sub === 'finish' ? await drills.finish(SYSTEM_ACTOR, values.id!) : await drills.report(values.id!);
        const text = reportText(report, lang, config.timeZone);
        deps.out(`${text}\n`);
        await keep(values.out, report, text);
        return report.problems.length === 0 ? 0 : 1;
      }
      const { drillId, incidentId } = await drills.start(SYSTEM_ACTOR, { ...parsed!.options, scenario: parsed!.scenario, via: 'cli' });
      if (!parsed!.options.scripted) {
        deps.out(`drill ${drillId} started (incident ${incidentId}): ${config.publicUrl}/staff/drills/${drillId}\n訓練 ${drillId} を開始しました。コンソールで進めてください。\n`);
        return 0;
      }
      // Everything the drill sent goes out before the report counts it.
      await app.fanout.drain();
      await drills.flushStandIns();
      await app.mail.drain();
      const report = await drills.finish(SYSTEM_ACTOR, drillId);
      await app.fanout.drain();
      const text = reportText(report, lang, config.timeZone);
      deps.out(`${text}\n`);
      await keep(values.out, report, text);
      return report.problems.length === 0 ? 0 : 1;
    } catch (err) {
      return refusal(deps, err);
    }
  } finally {
    await close?.().catch(() => undefined);
    await db.close();
  }
}
