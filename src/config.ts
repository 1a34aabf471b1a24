import type { Lang } from './web/i18n.ts';
import { parseBusinessCalendarConfig, type BusinessCalendarConfig } from './domain/business-calendar.ts';
import { parseSubscriptionConfig, type SubscriptionConfig } from './notify/subscriptions/config.ts';
import { parseXConfig, type XConfig } from './notify/senders/x-config.ts';
import { parseFanoutConfig, type FanoutConfig } from './notify/fanout/config.ts';
import { parseMonitorSettings, type MonitorSettings } from './monitors/settings.ts';
import { parseDkimConfig, type DkimOptions } from './mail/dkim.ts';
import { mailFromSettings, type MailFrom } from './mail/from.ts';
import { parseIncidentRoles, type IncidentRoleDefinition } from './incident-room/roles.ts';
import { parseStaffOidc, type StaffOidcSettings } from './staff/oidc.ts';

/** Everything an operator can set, read once from the environment. */
export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  pageId: string;
  exchangeNameJa: string;
  exchangeNameEn: string;
  timeZone: string;
  defaultLang: Lang;
  officialXUrl: string;
  supportUrl: string;
  secureCookies: boolean;
  staffSessionHours: number;
  /** STAFF_FRESH_FACTOR_MINUTES: sensitive staff actions need a factor entered within this many minutes (0: every time). */
  staffFreshFactorMinutes: number;
  /** STAFF_OIDC_ISSUER, STAFF_OIDC_CLIENT_ID, STAFF_OIDC_CLIENT_SECRET: staff sign-in through the company's OpenID Connect provider. */
  staffOidc: StaffOidcSettings | undefined;
  /** How long after the database stops answering the public page says it shows an older state. */
  staleAfterMs: number;
  /** Under a burst of changes, the public page's snapshot is rebuilt at most once in this many milliseconds (unset: PublicSite's 250). */
  pageRebuildGapMs?: number | undefined;
  /**
   * Which proxies' X-Forwarded-For to believe: false, a hop count, or addresses/CIDRs ("127.0.0.1,10.0.0.0/8").
   * `true` trusts any client's header and lets it choose its own IP: avoid it.
   */
  trustProxy: boolean | number | string;
  /** When set, a static copy of the public site is kept current in this folder. */
  exportDir: string | undefined;
  /** The emergency phone line (seed §2: urgent security cases only, business hours). */
  supportPhone: string;
  faqUrl: string;
  /** The exchange's own trade / deposit / withdrawal history page (the help center's "see the trade history" step). */
  tradeHistoryUrl: string;
  /** Where the help center points for the police's cyber-crime consultation (generic advice when assets were stolen). */
  policeCyberUrl: string;
  /** smtp://host:port (or smtps://user:pass@host:465). Empty: email waits in the outbox until configured. */
  smtpUrl: string | undefined;
  /**
   * The demo's built-in mailbox (src/demo-mailbox/): mail is composed and "delivered" into the database, readable
   * at /staff/mailbox and /account/mailbox. Set only by `kinkyu start --demo` when SMTP_URL is empty, never from
   * the environment; ignored whenever SMTP_URL is set.
   */
  demoMailbox: boolean;
  /** MAIL_FROM: the sender's address, optionally with a display name (`名前 <support@example.com>`). */
  mailFrom: string;
  /** MAIL_FROM_NAME_JA / MAIL_FROM_NAME_EN: the sender's display name per language (default: the exchange's name). */
  mailFromNameJa: string | undefined;
  mailFromNameEn: string | undefined;
  /** DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY (PEM or a file): sign outgoing mail (src/mail/dkim.ts). */
  dkim: DkimOptions | undefined;
  /** AUDIT_KEY: the audit chain's key (hex or base64, ≥ 32 bytes), kept outside the database (src/audit/audit-key.ts). */
  auditKey: string | undefined;
  /** AUDIT_KEY_FILE: a file holding that key. Neither set: the embedded database keeps one beside DATA_DIR. */
  auditKeyFile: string | undefined;
  /** AUDIT_CHECKPOINT_MINUTES: how often the server logs a signed audit checkpoint (0: only at shutdown). */
  auditCheckpointMinutes: number;
  /** Key for secret ticket links; without it one is generated and kept in the database. */
  secret: string | undefined;
  /** The support desk's calendar (phone line hours, SLAs): BUSINESS_HOURS, BUSINESS_YEAR_END, BUSINESS_CLOSED_DAYS… */
  businessCalendar: BusinessCalendarConfig;
  /** Contact form submissions allowed per client address per 10 minutes. */
  contactRateLimit: number;
  /** Outbox tuning (tests shorten the retry back-off). */
  mailSender: { backoffBaseMs?: number; pollMs?: number; maxAttempts?: number };
  /** Detection policy, JSON over the defaults (DETECTION_POLICY; see src/protection/detection-rules.ts). */
  detectionPolicy: string | undefined;
  /** The exchange core's signed API (docs/exchange-adapter.md). Empty: the reference store in our database. */
  exchangeCoreUrl: string | undefined;
  /** Shared HMAC secret for the exchange core, at least 32 characters; required with the URL. */
  exchangeCoreSecret: string | undefined;
  exchangeCoreTimeoutMs: number;
  /** Also serve the reference store as an exchange core on this app (a demo of the split; needs the secret). */
  serveReferenceCore: boolean;
  /** Public subscriptions (issue 6): WEBHOOK_ALLOW_LOCAL, SLACK_WEBHOOK_PREFIX, SUBSCRIBE_* (src/notify/subscriptions/config.ts). */
  subscriptions: SubscriptionConfig;
  /** Posting updates to the exchange's X account: X_API_URL, X_CONSUMER_KEY/SECRET, X_ACCESS_TOKEN/SECRET, X_LANG. */
  x: XConfig;
  /** Durable fan-out tuning: FANOUT_EMAIL_CONNECTIONS / _CONCURRENCY / _PER_SECOND, FANOUT_SMTP_URL, FANOUT_LEASE_MS… (src/notify/fanout/config.ts). */
  fanout: FanoutConfig;
  /** METRICS_HOST / METRICS_PORT: where Prometheus scrapes /metrics (loopback by default; `off` for none; 0 any free port). */
  metricsHost: string;
  metricsPort: number | undefined;
  /** SHUTDOWN_GRACE_MS: on SIGTERM, how long /readyz says 503 and answers close their connections before the server stops accepting. */
  shutdownGraceMs: number;
  /** SETTINGS_LOCK_LIFT_HOURS: lifting a user's settings lock early waits this long (default 72, at least 1). */
  settingsLockLiftHours: number;
  /** Monitors: MONITORS_ENABLED, MONITOR_INCIDENT_POLICY (draft|publish), MONITOR_POLL_MS, MONITOR_MIN_INTERVAL_S, MONITOR_RETENTION_DAYS, BITBANK_API_URL. */
  monitors: MonitorSettings;
  /** INCIDENT_ROLES: the roles people take in an incident (default: commander, communications, responders, scribe). */
  incidentRoles: readonly IncidentRoleDefinition[];
}

function env(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

export function loadConfig(overrides: Partial<Config> = {}): Config {
  const port = Number(env('PORT', '3000'));
  const publicUrl = env('PUBLIC_URL', `http://localhost:${port}`).replace(/\/+$/, '');
  const defaultLang = env('DEFAULT_LANG', 'ja') === 'en' ? 'en' : 'ja';
  return {
    host: env('HOST', '127.0.0.1'),
    port,
    publicUrl,
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: env('DATA_DIR', './data'),
    pageId: env('PAGE_ID', 'kinkyu'),
    exchangeNameJa: env('EXCHANGE_NAME_JA', 'デモ取引所'),
    exchangeNameEn: env('EXCHANGE_NAME_EN', 'Demo Exchange'),
    timeZone: env('TIME_ZONE', 'Asia/Tokyo'),
    defaultLang,
    officialXUrl: env('OFFICIAL_X_URL', 'https://x.com/bitbank_cc'),
    supportUrl: env('SUPPORT_URL', 'https://bitbank.cc/support/'),
    secureCookies: env('SECURE_COOKIES', publicUrl.startsWith('https://') ? 'true' : 'false') === 'true',
    staffSessionHours: Number(env('STAFF_SESSION_HOURS', '12')),
    staffFreshFactorMinutes: nonNegative(env('STAFF_FRESH_FACTOR_MINUTES', '15'), 15),
    staffOidc: parseStaffOidc(process.env),
    staleAfterMs: Number(env('STALE_AFTER_MS', '3000')),
    trustProxy: parseTrustProxy(env('TRUST_PROXY', 'false')),
    exportDir: process.env.EXPORT_DIR || undefined,
    supportPhone: env('SUPPORT_PHONE', '03-6721-1100'),
    faqUrl: env('FAQ_URL', 'https://bitbank.cc/faq/'),
    tradeHistoryUrl: env('TRADE_HISTORY_URL', 'https://app.bitbank.cc/account/history'),
    policeCyberUrl: env('POLICE_CYBER_URL', 'https://www.npa.go.jp/bureau/cyber/soudan.html'),
    smtpUrl: process.env.SMTP_URL || undefined,
    demoMailbox: false,
    mailFrom: env('MAIL_FROM', 'support@example.com'),
    mailFromNameJa: process.env.MAIL_FROM_NAME_JA || undefined,
    mailFromNameEn: process.env.MAIL_FROM_NAME_EN || undefined,
    dkim: parseDkimConfig(process.env),
    auditKey: process.env.AUDIT_KEY || undefined,
    auditKeyFile: process.env.AUDIT_KEY_FILE || undefined,
    auditCheckpointMinutes: Number(env('AUDIT_CHECKPOINT_MINUTES', '15')),
    secret: process.env.KINKYU_SECRET || undefined,
    businessCalendar: parseBusinessCalendarConfig(process.env),
    contactRateLimit: Number(env('CONTACT_RATE_LIMIT', '20')),
    mailSender: {},
    detectionPolicy: process.env.DETECTION_POLICY || undefined,
    exchangeCoreUrl: process.env.EXCHANGE_CORE_URL || undefined,
    exchangeCoreSecret: process.env.EXCHANGE_CORE_SECRET || undefined,
    exchangeCoreTimeoutMs: Number(env('EXCHANGE_CORE_TIMEOUT_MS', '5000')),
    serveReferenceCore: env('SERVE_REFERENCE_CORE', 'false') === 'true',
    subscriptions: parseSubscriptionConfig(process.env),
    x: parseXConfig(process.env),
    fanout: parseFanoutConfig(process.env),
    monitors: parseMonitorSettings(process.env),
    metricsHost: env('METRICS_HOST', '127.0.0.1'),
    metricsPort: env('METRICS_PORT', '9464') === 'off' ? undefined : Number(env('METRICS_PORT', '9464')),
    shutdownGraceMs: Number(env('SHUTDOWN_GRACE_MS', '1500')),
    incidentRoles: parseIncidentRoles(process.env.INCIDENT_ROLES),
    settingsLockLiftHours: parseLiftHours(env('SETTINGS_LOCK_LIFT_HOURS', '72')),
    ...overrides,
  };
}

function parseLiftHours(value: string): number {
  const hours = Number(value);
  if (!Number.isFinite(hours) || hours < 1 || hours > 24 * 30) throw new Error(`SETTINGS_LOCK_LIFT_HOURS must be a number of hours from 1 to 720, not ${JSON.stringify(value)}`);
  return hours;
}

function nonNegative(value: string, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'false' || value === '0') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** The sender of every mail: MAIL_FROM's address, a display name in the mail's language. */
export function mailFromOf(config: Config): MailFrom {
  return mailFromSettings(config);
}
