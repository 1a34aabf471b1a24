import type { FastifyInstance } from 'fastify';
import { mailFromOf, type Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { StatusCommands } from '../status/commands.ts';
import type { PublicSite } from '../status/page/site.ts';
import type { MonitorService } from '../monitors/service.ts';
import { BusinessCalendar } from '../domain/business-calendar.ts';
import { SupportDesk } from '../desk/desk.ts';
import { TicketLinks, loadLinkKey } from '../desk/ticket-links.ts';
import { createSmtpTransport, mailDomain } from '../mail/outbox.ts';
import { startMailWorker } from '../mail/sender.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import { ReferenceAccountStore } from '../exchange/reference-store.ts';
import { HttpExchangeAccounts } from '../exchange/http-adapter.ts';
import { EmergencyLock } from '../protection/emergency-lock.ts';
import { Recovery } from '../protection/recovery.ts';
import { AccountEvents } from '../protection/account-events.ts';
import { Detector } from '../protection/detection.ts';
import { parseDetectionPolicy } from '../protection/detection-rules.ts';
import { AntiPhishingCodes } from '../security-center/anti-phishing.ts';
import { NoticeCenter } from '../notices/service.ts';
import { KnowledgeBase } from '../help/kb/knowledge-base.ts';
import { startFanout } from '../notify/fanout/service.ts';
import { emailSenderFromConfig } from '../notify/email/from-config.ts';
import { EmailBounces } from '../notify/senders/endpoint-health.ts';
import { SubscriberLinks } from '../notify/subscriptions/links.ts';
import { channelSendersFromConfig } from '../notify/senders/from-config.ts';
import { createDemoMailboxTransport } from '../demo-mailbox/mailbox.ts';
import { StaffOidc } from '../staff/oidc.ts';
import { IncidentRoom } from '../incident-room/index.ts';
import { IncidentReviews } from '../incident-review/index.ts';
import { RegulatorClock, loadRules } from '../regulator/index.ts';
import { Drills } from '../drills/index.ts';

export interface ServiceInputs {
  config: Config;
  db: Db;
  clock: () => Date;
  site: PublicSite;
  commands: StatusCommands;
}

export type Services = Awaited<ReturnType<typeof buildServices>>;

/**
 * The composition root's services: every capability's service, built once per process from the configuration.
 * `app` is only their logger (`app.log`); no route is added here.
 */
export async function buildServices(app: FastifyInstance, inputs: ServiceInputs) {
  const { config, db, clock, site, commands } = inputs;
  const calendar = new BusinessCalendar(config.businessCalendar);
  const knowledgeBase = new KnowledgeBase(db, { clock, log: (msg, err) => app.log.warn({ err }, msg) });
  await knowledgeBase.start();
  // One key for the ticket links, the knowledge base's feedback tokens, subscriber links and device cookies.
  const linkKey = await loadLinkKey(db, config.secret);
  const links = new TicketLinks(linkKey, config.publicUrl);
  const desk = new SupportDesk(db, {
    links,
    calendar,
    mailDomain: mailDomain(config.mailFrom),
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    supportPhone: config.supportPhone,
    snapshot: () => site.current(),
    clock,
    // Triage beside the serving thread; `TRIAGE_THREAD=main` keeps it on the serving thread (to measure).
    triageOn: process.env.TRIAGE_THREAD === 'main' ? 'here' : 'thread',
    log: (msg, err) => app.log.warn({ err }, msg),
  });
  const referenceStore = new ReferenceAccountStore(db, clock);
  // An exchange core over signed HTTP when configured; otherwise the reference store in our database.
  const accounts: ExchangeAccounts = config.exchangeCoreUrl
    ? new HttpExchangeAccounts({ baseUrl: config.exchangeCoreUrl, secret: config.exchangeCoreSecret ?? '', timeoutMs: config.exchangeCoreTimeoutMs })
    : referenceStore;
  const lock = new EmergencyLock(db, accounts, desk, {
    publicUrl: config.publicUrl,
    mailDomain: mailDomain(config.mailFrom),
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    clock,
    timeZone: config.timeZone,
    log: (msg, err) => app.log.warn({ err }, msg),
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
  const subscriberLinks = new SubscriberLinks(linkKey, config.publicUrl);
  const fanoutLog = (msg: string, err?: unknown) => app.log.warn({ err }, msg);
  const emailSender = emailSenderFromConfig(config, subscriberLinks, fanoutLog, new EmailBounces({ db, clock, log: fanoutLog }), demoMailbox ? demoMailboxTransport : undefined);
  const channelSenders = await channelSendersFromConfig({ db, config, links: subscriberLinks, log: fanoutLog, clock });
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
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    log: (msg, err) => app.log.warn({ err }, msg),
  });
  const drills = new Drills(db, {
    commands, regulator, reviews, snapshot: () => site.current(), refreshSnapshot: () => site.refresh(),
    triageModel: () => desk.triageModels.current(), calendar, clock, lang: config.x.lang ?? config.defaultLang,
    log: (msg, err) => app.log.warn({ err }, msg),
  });
  const staffOidc = config.staffOidc ? new StaffOidc(db, config.staffOidc, config.publicUrl) : null;
  const incidentRoom = new IncidentRoom({
    db, clock, roles: config.incidentRoles, publicUrl: config.publicUrl, timeZone: config.timeZone, mailDomain: mailDomain(config.mailFrom),
  });
  const notices = new NoticeCenter({
    db, accounts, clock, timeZone: config.timeZone, publicUrl: config.publicUrl, mailDomain: mailDomain(config.mailFrom),
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    log: (msg, err) => app.log.warn({ err }, msg),
  });
  return {
    calendar, knowledgeBase, linkKey, links, desk, referenceStore, accounts, lock, recovery, accountEvents, detector,
    demoMailbox, antiPhishing, mail, fanout, reviews, regulator, drills, staffOidc, incidentRoom, notices,
  };
}

/** What every part of the composition is given: configuration, the database, the clock, the site, the services. */
export interface AppCore {
  config: Config;
  db: Db;
  clock: () => Date;
  site: PublicSite;
  commands: StatusCommands;
  monitors: MonitorService;
  services: Services;
}
