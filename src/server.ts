import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Config } from './config.ts';
import type { Db } from './store/db.ts';
import { Metrics } from './ops/metrics.ts';
import { readinessCheck } from './ops/readiness.ts';
import { StatusCommands } from './status/commands.ts';
import { PublicSite, siteOptionsFromConfig } from './status/page/site.ts';
import { configureAuditKey, loadAuditKey, type LoadedAuditKey } from './audit/audit-key.ts';
import { assertAuditKeyMatches } from './audit/audit-log.ts';
import { parseCheckpointMinutes } from './audit/checkpoint-log.ts';
import type { SupportDesk } from './desk/desk.ts';
import { mailDomain } from './mail/outbox.ts';
import type { MailWorker } from './mail/sender.ts';
import type { ExchangeAccounts } from './exchange/adapter.ts';
import type { ReferenceAccountStore } from './exchange/reference-store.ts';
import type { EmergencyLock } from './protection/emergency-lock.ts';
import type { Recovery } from './protection/recovery.ts';
import type { AccountEvents } from './protection/account-events.ts';
import { securityCenterPlugin } from './security-center/plugin.ts';
import { SettingsLocks } from './security-center/settings-lock.ts';
import type { Detector } from './protection/detection.ts';
import type { NoticeCenter } from './notices/service.ts';
import type { KnowledgeBase } from './help/kb/knowledge-base.ts';
import { MonitorService } from './monitors/service.ts';
import type { Fanout } from './notify/fanout/service.ts';
import type { IncidentReviews } from './incident-review/index.ts';
import type { RegulatorClock } from './regulator/index.ts';
import type { Drills } from './drills/index.ts';
import { createHttpApp } from './app/http.ts';
import { buildServices } from './app/services.ts';
import { registerCapabilities, registerShared } from './app/plugins.ts';
import { startWorkers } from './app/workers.ts';

export { BODY_LIMIT, maskSecrets } from './app/http.ts';

/** net.Server's own close: stops accepting without closing idle connections (http.Server's close does both). */
const netServerClose = NetServer.prototype.close;
/** After it stops accepting, how long a just-accepted connection has to deliver its request. */
const SETTLE_AFTER_STOP_ACCEPTING_MS = 250;

/** Readiness fails when the lock reconciler (a pass every 5 s) has not finished a pass for this long. */
const LOCK_RECONCILER_STALE_MS = 60_000;

export interface App {
  app: FastifyInstance;
  site: PublicSite;
  commands: StatusCommands;
  desk: SupportDesk;
  mail: MailWorker;
  /** The exchange's accounts: the built-in reference store (or, later, the HTTP adapter). */
  accounts: ExchangeAccounts;
  /** The reference store itself when it is the one in use (demo and tests act on it as the exchange). */
  referenceStore: ReferenceAccountStore | null;
  lock: EmergencyLock;
  /** The recovery after a takeover: compromise window, its changes, what the unlock removes. */
  recovery: Recovery;
  /** Account events (sign-ins, security changes): history for users, input for detection. */
  accountEvents: AccountEvents;
  /** Detection: rules over account events, alerts, policy actions; `stepUpRequired` for the sign-in flow. */
  detector: Detector;
  /** Regulatory notices and terms: the sign-in gate (`notices.gate`) and `notices.runReminders()`. */
  notices: NoticeCenter;
  /** Help-center articles: published versions, the search index (`knowledgeBase.search`), staff edits. */
  knowledgeBase: KnowledgeBase;
  /** Monitors: the runner of this process (`runDue()`), incident proposals (`publish`, `acceptResolve`, `dismiss`). */
  monitors: MonitorService;
  /** Durable fan-out of public updates to subscribers: `kick()`, `drain()` (tests), `progress(updateId)`. */
  fanout: Fanout;
  /** Post-incident reviews and public postmortems (src/incident-review). */
  reviews: IncidentReviews;
  /** The regulator's clock: obligations, deadlines, reminders (`regulator.runReminders()`), drafts (src/regulator). */
  regulator: RegulatorClock;
  /** Drills in the sandbox, their stand-ins and reports (src/drills). */
  drills: Drills;
  /** The application's clock (injectable: tests never depend on today's date). */
  clock: () => Date;
  /** Where Prometheus scrapes this process (null when METRICS_PORT is off or taken). */
  metricsAddress(): string | null;
  /** A shutdown is coming: /readyz turns 503 and every answer closes its connection. */
  beginDrain(): void;
  /** Stops accepting, answers what is in flight, then stops the workers. */
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  db: Db;
  logger?: boolean;
  clock?: () => Date;
  /** The audit key when the caller has loaded it already (the CLI, to seed before building); else from `config`. */
  auditKey?: LoadedAuditKey;
}

/**
 * The composition root: the services (src/app/services.ts), the shared hooks and each capability's plugin
 * (src/app/plugins.ts), the workers (src/app/workers.ts). Returns the app and the services tests and the CLI use.
 */
export async function buildApp(opts: AppOptions): Promise<App> {
  const { config, db } = opts;
  // Before anything appends to the audit log (the starter articles are imported below): a missing key, or a key
  // other than the one the log is written with, refuses the start instead of writing an unverifiable chain.
  const audit = opts.auditKey ?? loadAuditKey(config, { generate: true });
  const checkpointMinutes = parseCheckpointMinutes(config.auditCheckpointMinutes);
  await assertAuditKeyMatches(db, audit.key);
  configureAuditKey(audit.key);
  const site = new PublicSite(db, { ...siteOptionsFromConfig(config), ...(opts.clock ? { clock: opts.clock } : {}) });
  const commands = new StatusCommands(db, opts.clock);
  const monitors = new MonitorService({
    db, commands, policy: config.monitors.incidentPolicy, retentionDays: config.monitors.retentionDays,
    ...(opts.clock ? { clock: opts.clock } : {}),
    log: (msg, err) => app.log.warn({ err }, msg),
  });
  const cookieName = config.secureCookies ? '__Host-kinkyu_staff' : 'kinkyu_staff';
  // Set when a shutdown begins: answers close their connections (no keep-alive request races the close) and
  // /readyz says 503, so a load balancer moves users on before this process stops accepting.
  let draining = false;
  const metrics = new Metrics({
    db,
    snapshotAgeSeconds: () => {
      const snapshot = site.current();
      return snapshot ? (Date.now() - snapshot.loadedAt.getTime()) / 1000 : null;
    },
    snapshotStale: () => site.isStale(),
    ...(db.poolStats ? { pool: () => db.poolStats?.() ?? null } : {}),
  });

  const app = await createHttpApp({ config, site, metrics, cookieName, draining: () => draining, ...(opts.logger !== undefined ? { logger: opts.logger } : {}) });
  app.log.info({ auditKeyId: audit.key.id, auditKeySource: audit.source }, 'audit log keyed with the key from ' + audit.source);
  if (audit.generated) {
    app.log.warn({ auditKeyId: audit.key.id, auditKeyFile: audit.source },
      `generated a new audit key at ${audit.source}: back it up apart from the database (docs/operations.md, "Audit log")`);
  }
  const clock = opts.clock ?? (() => new Date());
  const services = await buildServices(app, { config, db, clock, site, commands });
  const { desk, mail, accounts, referenceStore, lock, recovery, accountEvents, detector, knowledgeBase, notices, fanout, reviews, regulator, drills } = services;
  const { calendar, linkKey, demoMailbox, antiPhishing } = services;
  const readiness = readinessCheck({
    db,
    snapshot: () => {
      const snapshot = site.current();
      return { loaded: snapshot !== null, stale: site.isStale(), ageSeconds: snapshot ? (Date.now() - snapshot.loadedAt.getTime()) / 1000 : null };
    },
    // The lock reconciler is the worker a promise depends on (a confirmed lock gets recorded): ready only while it
    // keeps finishing passes. Mail and fan-out queues show in the metrics (their depth), not here.
    workers: () => ({ lockReconciler: lock.reconcilerHealthy(LOCK_RECONCILER_STALE_MS) }),
    draining: () => draining,
  });
  const pluginInputs = { config, db, clock, site, commands, monitors, services, cookieName, readiness };
  registerShared(app, pluginInputs);
  // The security center (src/security-center/plugin.ts), with the settings lock and the anti-phishing code.
  void app.register(securityCenterPlugin, {
    db, config, accounts, store: accounts === referenceStore ? referenceStore : null, lock, events: accountEvents,
    mailDomain: mailDomain(config.mailFrom), clock, stepUp: { complete: (id) => detector.completeStepUp(id), required: (id) => detector.stepUpRequired(id) },
    terms: notices.gate, calendar, deviceKey: linkKey,
    recovery, demoMailbox,
    settingsLocks: new SettingsLocks(db, clock, config.settingsLockLiftHours), antiPhishing,
  });
  registerCapabilities(app, pluginInputs);
  let metricsServer: Server | null = null;
  if (config.metricsPort !== undefined && Number.isFinite(config.metricsPort)) {
    metricsServer = await metrics.serve(config.metricsHost, config.metricsPort).catch((err: unknown) => {
      // Metrics are for operators; a port already taken (a second process on this host) must not stop the service.
      app.log.warn({ err }, `metrics not served: ${config.metricsHost}:${config.metricsPort} is not available (set METRICS_PORT)`);
      return null;
    });
  }
  const workers = await startWorkers(app, { config, db, clock, site, commands, monitors, services, auditKey: audit.key, checkpointMinutes });
  return {
    app, site, commands, desk, mail, accounts, referenceStore, lock, recovery, accountEvents, detector, knowledgeBase, notices, fanout, monitors,
    reviews, regulator, drills, clock,
    metricsAddress: () => {
      const address = metricsServer?.address();
      return address && typeof address === 'object' ? `http://${config.metricsHost}:${address.port}/metrics` : null;
    },
    beginDrain() {
      draining = true;
    },
    async close() {
      draining = true;
      // First stop accepting connections, without touching the open ones: Node's http close would also close
      // the idle ones at once, and a client that has just connected and is writing its request would be reset.
      // A request that arrives on an open connection is answered (and closes it, as every answer does now).
      if (app.server.listening) {
        netServerClose.call(app.server);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_AFTER_STOP_ACCEPTING_MS));
      }
      // Then Fastify answers what is in flight and closes what is left; then the workers stop, finishing or
      // releasing what they hold.
      await app.close();
      await workers.stop();
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
    },
  };
}
