import type { FastifyInstance } from 'fastify';
import { exportOnChange, writeAuditCheckpoint } from '../status/static-export.ts';
import type { AuditKey } from '../audit/audit-key.ts';
import { takeCheckpoint } from '../audit/checkpoint.ts';
import { startCheckpointLog } from '../audit/checkpoint-log.ts';
import { t } from '../web/i18n.ts';
import type { AppCore } from './services.ts';

export interface WorkerInputs extends AppCore {
  auditKey: AuditKey;
  checkpointMinutes: number;
}

export interface Workers {
  /** After the HTTP server has closed: stops every worker, finishing or releasing what it holds. */
  stop(): Promise<void>;
}

/**
 * The background work of a process: the maintenance schedule, reminders, drills' stand-ins, the monitor runner,
 * the static export, audit checkpoints and the lock reconciler. Every process runs them; the database decides
 * which one does each piece of work.
 */
export async function startWorkers(app: FastifyInstance, inputs: WorkerInputs): Promise<Workers> {
  const { config, db, clock, site, commands, monitors } = inputs;
  const { notices, regulator, drills, lock, fanout, mail, knowledgeBase } = inputs.services;
  const audit = { key: inputs.auditKey };
  const checkpointMinutes = inputs.checkpointMinutes;
  const scheduler = setInterval(() => {
    commands
      .runMaintenanceSchedule({
        startedJa: t('ja', 'maintenance.autoStarted'),
        startedEn: t('en', 'maintenance.autoStarted'),
        completedJa: t('ja', 'maintenance.autoCompleted'),
        completedEn: t('en', 'maintenance.autoCompleted'),
      })
      .catch((err) => app.log.warn({ err }, 'maintenance schedule run failed'));
  }, 15_000);
  scheduler.unref();
  // Terms reminders (7 days and 1 day before the deadline): every process may run them, the database decides.
  const termsReminders = setInterval(() => {
    notices.runReminders().catch((err) => app.log.warn({ err }, 'terms reminder run failed'));
  }, 60_000);
  termsReminders.unref();
  // Regulatory obligations attach to recent incidents and remind their owners: every process runs it, the database
  // lets one of them send each reminder (src/regulator).
  const regulatorTimer = setInterval(() => {
    regulator.sweep().then(() => regulator.runReminders()).catch((err) => app.log.warn({ err }, 'regulator clock run failed'));
  }, 60_000);
  regulatorTimer.unref();
  // The X and Slack stand-ins of drills render what the exchange's accounts would have posted.
  const standInTimer = setInterval(() => {
    drills.flushStandIns().catch((err) => app.log.warn({ err }, 'drill stand-ins failed'));
  }, 5_000);
  standInTimer.unref();
  // Every process runs a monitor runner; the database hands each due monitor to one of them per interval.
  if (config.monitors.enabled) monitors.start(config.monitors.pollMs);

  const auditCheckpoint = () => takeCheckpoint(db, audit.key, clock());
  const exportSettled = config.exportDir
    ? exportOnChange(site, config.exportDir, { minGapMs: 2000, log: (err) => app.log.warn({ err }, 'static export failed'), auditCheckpoint })
    : async () => undefined;
  // Signed heads of the audit chain in the log (ship it off-host) and the static export: `kinkyu audit verify
  // --checkpoint` then finds a rewritten or cut-back tail.
  const checkpoints = startCheckpointLog({
    db, key: audit.key, clock, minutes: checkpointMinutes,
    async record(checkpoint) {
      app.log.info({ auditCheckpoint: checkpoint }, 'audit checkpoint');
      if (config.exportDir) await writeAuditCheckpoint(config.exportDir, checkpoint);
    },
    log: (msg, err) => app.log.warn({ err }, msg),
  });

  // Locks journalled but not finished (a crash, the exchange or the database away) are finished before this
  // process serves anyone, then every few seconds, by every process; each exactly once.
  await lock.reconcile().catch((err: unknown) => app.log.warn({ err }, 'lock reconciler pass at start failed (retried)'));
  lock.startReconciler();
  return {
    async stop() {
      await monitors.stop();
      clearInterval(scheduler);
      clearInterval(termsReminders);
      clearInterval(regulatorTimer);
      clearInterval(standInTimer);
      await notices.settled();
      await lock.stop();
      await fanout.stop();
      await mail.stop();
      await exportSettled();
      await site.stop();
      await knowledgeBase.stop();
      // The last entries this process wrote are in; a shutdown leaves a checkpoint of them.
      await checkpoints.stop();
    },
  };
}
