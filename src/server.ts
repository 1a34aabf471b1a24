import Fastify, { type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import { createServer, type Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { parse as parseQueryString } from 'node:querystring';
import { mailFromOf, type Config } from './config.ts';
import type { Db } from './store/db.ts';
import { Metrics } from './ops/metrics.ts';
import { readinessCheck } from './ops/readiness.ts';
import { registerReadiness } from './ops/routes.ts';
import { StatusCommands } from './status/commands.ts';
import { PublicSite, siteOptionsFromConfig } from './status/page/site.ts';
import { exportOnChange, writeAuditCheckpoint } from './status/static-export.ts';
import { configureAuditKey, loadAuditKey, type LoadedAuditKey } from './audit/audit-key.ts';
import { assertAuditKeyMatches } from './audit/audit-log.ts';
import { takeCheckpoint } from './audit/checkpoint.ts';
import { parseCheckpointMinutes, startCheckpointLog } from './audit/checkpoint-log.ts';
import { CONTENT_SECURITY_POLICY } from './web/security.ts';
import { registerStaffAuth } from './staff/auth-plugin.ts';
import { registerConsole } from './console/routes.ts';
import { registerTeam } from './staff/team-routes.ts';
import { staffMfa } from './staff/mfa-routes.ts';
import { StaffOidc } from './staff/oidc.ts';
import { registerErrorHandling, sendError } from './web/error-handler.ts';
import { registerBodyGuard } from './web/body-guard.ts';
import { AJV_OPTIONS, registerSchemaRefusals } from './web/schema/validation.ts';
import { registerOpenApi } from './ops/openapi.ts';
import { KinkyuError } from './domain/errors.ts';
import { registerPublicRoutes } from './status/page/routes.ts';
import { t } from './web/i18n.ts';
import { BusinessCalendar } from './domain/business-calendar.ts';
import { SupportDesk } from './desk/desk.ts';
import { TicketLinks, loadLinkKey } from './desk/ticket-links.ts';
import { createSmtpTransport, mailDomain, startMailWorker, type MailWorker } from './mail/outbox.ts';
import { registerContactRoutes } from './desk/contact-routes.ts';
import { registerDeskRoutes } from './desk/console-routes.ts';
import type { ExchangeAccounts } from './exchange/adapter.ts';
import { ReferenceAccountStore } from './exchange/reference-store.ts';
import { HttpExchangeAccounts } from './exchange/http-adapter.ts';
import { registerReferenceCore } from './exchange/core-server.ts';
import { EmergencyLock } from './protection/emergency-lock.ts';
import { Recovery } from './protection/recovery.ts';
import { AccountEvents } from './protection/account-events.ts';
import { registerUserRoutes } from './security-center/routes.ts';
import { AntiPhishingCodes, registerAntiPhishingRoutes } from './security-center/anti-phishing.ts';
import { registerSettingsLock, SettingsLocks } from './security-center/settings-lock.ts';
import { Detector, parseDetectionPolicy } from './protection/detection.ts';
import { registerAlertsRoutes } from './protection/console/alerts-routes.ts';
import { registerLockRoutes } from './protection/lock-routes.ts';
import { registerAccountRoutes } from './protection/console/account-routes.ts';
import { NoticeCenter } from './notices/service.ts';
import { registerNoticePublicRoutes } from './notices/public-routes.ts';
import { registerNoticeConsole } from './notices/console-routes.ts';
import { registerHelpCenter } from './help/guide/routes.ts';
import { KnowledgeBase } from './help/kb/knowledge-base.ts';
import { registerKbRoutes } from './help/kb/public-routes.ts';
import { registerKbConsole } from './help/kb/console-routes.ts';
import { MonitorService } from './monitors/service.ts';
import { registerMonitorConsole } from './monitors/console-routes.ts';
import { registerSubscriptions } from './notify/subscribe-routes.ts';
import { startFanout, type Fanout } from './notify/fanout/service.ts';
import { emailSenderFromConfig } from './notify/email/from-config.ts';
import { EmailBounces } from './notify/senders/endpoint-health.ts';
import { SubscriberLinks } from './notify/subscriptions/links.ts';
import { channelSendersFromConfig } from './notify/senders/from-config.ts';
import { createDemoMailboxTransport } from './demo-mailbox/mailbox.ts';
import { registerDemoMailbox } from './demo-mailbox/routes.ts';
import { IncidentRoom, incidentRoomPlugin } from './incident-room/index.ts';
import { IncidentReviews, incidentReviewRoutes } from './incident-review/index.ts';
import { RegulatorClock, loadRules, regulatorRoutes } from './regulator/index.ts';
import { regulatoryDeadlinesSection } from './regulator/home-section.ts';
import { Drills, drillRoutes } from './drills/index.ts';

/** Paths whose last part is a credential (a secret link); the part before it is kept. */
const SECRET_LINKS: readonly RegExp[] = [
  /^(\/tickets\/[^/?#]+\/)[^/?#]+/,
  /^(\/lock\/)[^/?#]+/,
  /^(\/terms\/ack\/)[^/?#]+/,
  /^(\/account\/forgot\/)[^/?#]+/,
  /^(\/account\/email\/confirm\/)[^/?#]+/,
  /^(\/subscriptions\/(?:confirm|[^/?#]+\/(?:unsubscribe|manage|anti-phishing))\/)[^/?#]+/,
];

/** Secret links never reach the logs: `/lock/<token>` → `/lock/…`, and so on for every path in SECRET_LINKS. */
export function maskSecrets(url: string): string {
  for (const link of SECRET_LINKS) if (link.test(url)) return url.replace(link, '$1…');
  return url;
}

/** net.Server's own close: stops accepting without closing idle connections (http.Server's close does both). */
const netServerClose = NetServer.prototype.close;
/** After it stops accepting, how long a just-accepted connection has to deliver its request. */
const SETTLE_AFTER_STOP_ACCEPTING_MS = 250;

/** Readiness fails when the lock reconciler (a pass every 5 s) has not finished a pass for this long. */
const LOCK_RECONCILER_STALE_MS = 60_000;

/** Bodies larger than this are refused before parsing: no form or update needs more. */
export const BODY_LIMIT = 256 * 1024;


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

  const app = Fastify({
    logger: opts.logger
      ? {
          level: process.env.LOG_LEVEL ?? 'info',
          redact: ['req.headers.cookie', 'req.headers.authorization'],
          // A ticket's secret link is a credential: it never reaches the logs.
          serializers: {
            req: (req: { method: string; url: string; ip?: string; socket?: { remoteAddress?: string; remotePort?: number } }) => ({
              method: req.method,
              url: maskSecrets(req.url),
              remoteAddress: req.ip ?? req.socket?.remoteAddress,
            }),
          },
        }
      : false,
    bodyLimit: BODY_LIMIT,
    ajv: AJV_OPTIONS, // route schemas (src/web/schema/): the Japanese text rules as an ajv keyword, no coercion
    // Longer ids reach the handlers and get the usual localized 404 instead of a bare 414.
    routerOptions: { maxParamLength: 1000 },
    // A path that is not valid percent-encoding (`/help/articles/%FF`) names no page: the localized 404.
    frameworkErrors: (err, request, reply) => {
      if (err.code === 'FST_ERR_BAD_URL') return sendError(request, reply, new KinkyuError('NOT_FOUND'));
      return sendError(request, reply, new KinkyuError('VALIDATION'));
    },
    // A hop count trusts that many proxies in front of us, nearest first.
    trustProxy: typeof config.trustProxy === 'number' ? ((_address: string, hop: number) => hop < (config.trustProxy as number)) : config.trustProxy,
    // The public pages are answered before Fastify routes anything: in a surge they are served as
    // prebuilt bytes at close to a bare server's speed. Everything else goes through Fastify.
    serverFactory: (handler) =>
      createServer((req, res) => {
        metrics.observe(req, res);
        if (draining) res.shouldKeepAlive = false;
        if (!site.tryServe(req, res)) handler(req, res);
      }),
  });
  site.setLogger((msg, err) => app.log.warn({ err }, msg));
  app.log.info({ auditKeyId: audit.key.id, auditKeySource: audit.source }, 'audit log keyed with the key from ' + audit.source);
  if (audit.generated) {
    app.log.warn({ auditKeyId: audit.key.id, auditKeyFile: audit.source },
      `generated a new audit key at ${audit.source}: back it up apart from the database (docs/operations.md, "Audit log")`);
  }
  app.decorate('kinkyuDefaultLang', config.defaultLang);
  // Before any route: both learn routes as they are added.
  registerSchemaRefusals(app);
  await registerOpenApi(app, { publicUrl: config.publicUrl, cookieName });
  await app.register(fastifyCookie);
  // node:querystring turns bytes that are not UTF-8 into U+FFFD, which text validation refuses; fast-querystring
  // (the plugin's default) would keep a field with a bad escape undecoded, "%FF" and all.
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT, parser: (body) => parseQueryString(body) });
  // Before any route: a NUL character or a hostile nesting depth in any form or JSON body is a clear 400.
  registerBodyGuard(app);

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/staff')) reply.header('cache-control', 'no-store');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    // Private pages (the secret ticket link) set no-referrer themselves.
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'same-origin');
    return payload;
  });

  const clock = opts.clock ?? (() => new Date());
  const calendar = new BusinessCalendar(config.businessCalendar);
  const knowledgeBase = new KnowledgeBase(db, { clock, log: (msg, err) => app.log.warn({ err }, msg) });
  await knowledgeBase.start();
  const links = new TicketLinks(await loadLinkKey(db, config.secret), config.publicUrl);
  const desk = new SupportDesk(db, {
    links,
    calendar,
    mailDomain: mailDomain(config.mailFrom),
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    supportPhone: config.supportPhone,
    snapshot: () => site.current(),
    onMailQueued: () => mail.kick(),
    clock,
  });
  const referenceStore = new ReferenceAccountStore(db, clock);
  // An exchange core over signed HTTP when configured; otherwise the reference store in our database.
  const accounts: ExchangeAccounts = config.exchangeCoreUrl
    ? new HttpExchangeAccounts({ baseUrl: config.exchangeCoreUrl, secret: config.exchangeCoreSecret ?? '', timeoutMs: config.exchangeCoreTimeoutMs })
    : referenceStore;
  if (config.serveReferenceCore) registerReferenceCore(app, referenceStore, { secret: config.exchangeCoreSecret ?? '' });
  const lock = new EmergencyLock(db, accounts, desk, {
    publicUrl: config.publicUrl,
    mailDomain: mailDomain(config.mailFrom),
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    clock,
    timeZone: config.timeZone,
    log: (msg, err) => app.log.warn({ err }, msg),
    onMailQueued: () => mail.kick(),
  });
  const recovery = new Recovery(db, accounts, lock, {
    publicUrl: config.publicUrl,
    mailDomain: mailDomain(config.mailFrom),
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    timeZone: config.timeZone,
    clock,
  });
  const accountEvents = new AccountEvents(db, (msg, err) => app.log.warn({ err }, msg));
  const detector = new Detector(db, accounts, lock, desk, {
    policy: parseDetectionPolicy(config.detectionPolicy),
    mailDomain: mailDomain(config.mailFrom),
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    lang: config.defaultLang,
    timeZone: config.timeZone,
    onMailQueued: () => mail.kick(),
    clock,
    log: (msg, err) => app.log.warn({ err }, msg),
  }).attach(accountEvents);
  const mailLog = (msg: string, err?: unknown) => app.log.warn({ err }, msg);
  // The demo without SMTP: mail goes the whole production way (outbox, worker, fan-out) and is delivered into the
  // demo mailbox instead of an SMTP server. Never with SMTP_URL set, never without the demo's flag.
  const demoMailbox = config.demoMailbox && !config.smtpUrl;
  const demoMailboxTransport = () => createDemoMailboxTransport(db, { clock, dkim: config.dkim });
  if (demoMailbox) app.log.info('mail: demo mailbox on (no SMTP_URL): mail is delivered into demo_mailbox, read at /staff/mailbox');
  // Every mail to an account's (or a status subscriber's) address opens with its anti-phishing code, added as it is sent.
  const antiPhishing = new AntiPhishingCodes(db, accounts, clock, mailLog).attach(accountEvents);
  const mail = startMailWorker(db, createSmtpTransport(config.smtpUrl ?? '', { log: mailLog, dkim: config.dkim }) ?? (demoMailbox ? demoMailboxTransport() : null), {
    from: mailFromOf(config),
    log: mailLog,
    prefix: antiPhishing.mailPrefix,
    ...config.mailSender,
  });
  const subscriberLinks = new SubscriberLinks(await loadLinkKey(db, config.secret), config.publicUrl);
  const fanoutLog = (msg: string, err?: unknown) => app.log.warn({ err }, msg);
  const emailSender = emailSenderFromConfig(config, subscriberLinks, fanoutLog, new EmailBounces({ db, clock, log: fanoutLog }), demoMailbox ? demoMailboxTransport : undefined);
  const channelSenders = await channelSendersFromConfig({ db, config, links: subscriberLinks, onMailQueued: () => mail.kick(), log: fanoutLog, clock });
  const fanout = startFanout(db, {
    senders: [...(emailSender ? [emailSender] : []), ...channelSenders],
    snapshot: () => site.current(),
    refreshSnapshot: () => site.refresh(),
    log: fanoutLog,
    ...config.fanout,
  });

  const reviews = new IncidentReviews(db, { commands, clock, timeZone: config.timeZone });
  const regulator = new RegulatorClock(db, {
    // REGULATOR_RULES_FILE: the exchange's own copy of the rules; a file with a mistake stops the start, naming it.
    rules: loadRules(process.env.REGULATOR_RULES_FILE || undefined),
    clock, timeZone: config.timeZone, publicUrl: config.publicUrl, mailDomain: mailDomain(config.mailFrom),
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn }, onMailQueued: () => mail.kick(),
    log: (msg, err) => app.log.warn({ err }, msg),
  });
  const drills = new Drills(db, {
    commands, regulator, reviews, snapshot: () => site.current(), refreshSnapshot: () => site.refresh(),
    triageModel: () => desk.triageModels.current(), calendar, clock, lang: config.x.lang ?? config.defaultLang,
    kick: () => fanout.kick(), log: (msg, err) => app.log.warn({ err }, msg),
  });

  const staffOidc = config.staffOidc ? new StaffOidc(db, config.staffOidc, config.publicUrl) : null;
  const mfa = staffMfa({ db, config, cookieName, clock, oidc: staffOidc });
  registerStaffAuth(app, { db, cookieName, publicUrl: config.publicUrl, factors: mfa.gate });
  mfa.register(app);
  void app.register(incidentReviewRoutes, { config, reviews, obligations: (id) => regulator.obligationsFor(id) });
  void app.register(regulatorRoutes, { db, config, regulator, reviews, clock });
  void app.register(drillRoutes, { config, drills, snapshot: () => site.current(), clock });
  registerConsole(app, { db, config, commands, cookieName, desk, clock, deliveryProgress: (id) => fanout.progress(id) });
  const incidentRoom = new IncidentRoom({
    db, clock, roles: config.incidentRoles, publicUrl: config.publicUrl, timeZone: config.timeZone, mailDomain: mailDomain(config.mailFrom),
    onMailQueued: () => mail.kick(),
  });
  app.register(incidentRoomPlugin, {
    db, config, commands, room: incidentRoom, calendar, clock, snapshot: () => site.current(), desk,
    openProposals: () => monitors.listProposals({ open: true }),
    homeSections: [regulatoryDeadlinesSection(db)],
  });
  registerDeskRoutes(app, { db, config, desk, calendar, clock });
  registerContactRoutes(app, { db, config, site, desk, links, calendar, clock, articles: knowledgeBase.search });
  registerTeam(app, { db, config, clock, oidcIssuer: staffOidc?.issuer ?? null });
  if (demoMailbox) registerDemoMailbox(app, { db, config });
  registerAlertsRoutes(app, { db, config, clock });
  registerLockRoutes(app, { config, lock, calendar, clock, log: (msg, err) => app.log.warn({ err }, msg) });
  registerHelpCenter(app, { config, site, calendar, clock, articles: knowledgeBase.search });
  registerAccountRoutes(app, { db, config, accounts, lock, recovery, kickMail: () => mail.kick() });
  registerKbRoutes(app, { config, knowledgeBase, site, clock, feedbackKey: await loadLinkKey(db, config.secret) });
  registerKbConsole(app, { config, knowledgeBase });
  registerMonitorConsole(app, { db, config, monitors, clock });
  const notices = new NoticeCenter({
    db, accounts, clock, timeZone: config.timeZone, publicUrl: config.publicUrl, mailDomain: mailDomain(config.mailFrom),
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn }, onMailQueued: () => mail.kick(),
    log: (msg, err) => app.log.warn({ err }, msg),
  });
  registerNoticeConsole(app, { db, config, accounts, clock });
  registerNoticePublicRoutes(app, { db, config, site, accounts, clock });
  registerSubscriptions(app, { db, config, site, clock, linkKey: await loadLinkKey(db, config.secret), onMailQueued: () => mail.kick() });
  registerErrorHandling(app);
  registerPublicRoutes(app, { db, config, site });
  registerReadiness(app, readinessCheck({
    db,
    snapshot: () => {
      const snapshot = site.current();
      return { loaded: snapshot !== null, stale: site.isStale(), ageSeconds: snapshot ? (Date.now() - snapshot.loadedAt.getTime()) / 1000 : null };
    },
    // The lock reconciler is the worker a promise depends on (a confirmed lock gets recorded): ready only while it
    // keeps finishing passes. Mail and fan-out queues show in the metrics (their depth), not here.
    workers: () => ({ lockReconciler: lock.reconcilerHealthy(LOCK_RECONCILER_STALE_MS) }),
    draining: () => draining,
  }));
  let metricsServer: Server | null = null;
  if (config.metricsPort !== undefined && Number.isFinite(config.metricsPort)) {
    metricsServer = await metrics.serve(config.metricsHost, config.metricsPort).catch((err: unknown) => {
      // Metrics are for operators; a port already taken (a second process on this host) must not stop the service.
      app.log.warn({ err }, `metrics not served: ${config.metricsHost}:${config.metricsPort} is not available (set METRICS_PORT)`);
      return null;
    });
  }
  const userCenter = registerUserRoutes(app, {
    db, config, accounts, store: accounts === referenceStore ? referenceStore : null, lock, events: accountEvents,
    mailDomain: mailDomain(config.mailFrom), clock, onMailQueued: () => mail.kick(), stepUp: { complete: (id) => detector.completeStepUp(id), required: (id) => detector.stepUpRequired(id) },
    terms: notices.gate, calendar, deviceKey: await loadLinkKey(db, config.secret),
    recovery, demoMailbox,
  });
  // Issue 16: the settings lock (its guard stands in front of every change it freezes) and the anti-phishing code.
  registerSettingsLock(app, userCenter, {
    db, config, locks: new SettingsLocks(db, clock, config.settingsLockLiftHours), lock, mailDomain: mailDomain(config.mailFrom), clock,
    onMailQueued: () => mail.kick(),
  });
  registerAntiPhishingRoutes(app, userCenter, { db, codes: antiPhishing, clock });




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
    app,
    site,
    commands,
    desk,
    mail,
    accounts,
    referenceStore,
    lock,
    recovery,
    accountEvents,
    detector,
    knowledgeBase,
    notices,
    fanout,
    monitors,
    reviews,
    regulator,
    drills,
    clock,
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
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
    },
  };
}
