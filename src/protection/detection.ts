import type { Db } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { SYSTEM_ACTOR } from '../domain/actor.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import { type SupportDesk } from '../desk/desk.ts';
import { parseContact } from '../desk/contact-form.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import { userMailSettings } from './recovery-repository.ts';
import type { AccountEvent, AccountEvents } from './account-events.ts';
import type { EmergencyLock } from './emergency-lock.ts';
import { actionsFor, countryDistanceKm, type DetectionAction, type DetectionPolicy, type RuleId } from './detection-rules.ts';


/** An event as kept in an alert's evidence. */
export interface EvidenceEvent {
  id: number;
  accountId: string | null;
  kind: string;
  at: string;
  ip: string | null;
  country: string | null;
  device: string | null;
}

export interface Finding {
  rule: RuleId;
  score: number;
  detail: Record<string, unknown>;
  events: EvidenceEvent[];
}

export interface AlertActions {
  /** What the policy asked for. */
  planned: DetectionAction[];
  /** What was done. */
  taken: DetectionAction[];
  stepUp: boolean;
  stepUpCompletedAt?: string;
  lockId?: string;
  ticketNumber?: number;
  notifiedTo?: string;
  errors?: string[];
}

export interface SecurityAlert {
  id: string;
  accountId: string | null;
  ip: string | null;
  rules: RuleId[];
  score: number;
  evidence: { findings: Finding[]; events: EvidenceEvent[]; lastEventAt: string };
  actions: AlertActions;
  createdAt: Date;
  acknowledgedBy: string | null;
  acknowledgedByName: string | null;
  acknowledgedAt: Date | null;
}

export interface DetectorOptions {
  policy: DetectionPolicy;
  mailDomain: string;
  exchangeName: { ja: string; en: string };
  /** For an account without a language of its own (no security-center credentials). */
  lang?: Lang;
  /** The time zone of the times in the alert mail (default Asia/Tokyo). */
  timeZone?: string;
  clock?: () => Date;
  log?: (msg: string, err?: unknown) => void;
}

interface EventRow {
  id: string | number;
  account_id: string | null;
  kind: string;
  at: Date | string;
  ip: string | null;
  country: string | null;
  device: string | null;
}

type StoredEvent = AccountEvent & { id: number };

const EVENT_COLUMNS = 'id, account_id, kind, at, ip, country, device';

const view = (r: EventRow): EvidenceEvent => ({
  id: Number(r.id),
  accountId: r.account_id,
  kind: r.kind,
  at: new Date(r.at).toISOString(),
  ip: r.ip,
  country: r.country,
  device: r.device,
});

const viewOf = (e: StoredEvent): EvidenceEvent => ({
  id: e.id,
  accountId: e.accountId,
  kind: e.kind,
  at: e.at.toISOString(),
  ip: e.ip ?? null,
  country: e.country ?? null,
  device: e.device ?? null,
});

const minutesBefore = (d: Date, minutes: number) => new Date(d.getTime() - minutes * 60_000);

/**
 * Detection: every account event goes through the rules; findings score; a kept alert records its rules,
 * score, evidence (the events involved) and the actions the policy chose and took — notify the user with a
 * lock link, require step-up at the next sign-in, open a security ticket, lock the account.
 * Runs after the event is stored; its errors are logged by AccountEvents and never fail the user's action.
 */
export class Detector {
  private readonly clock: () => Date;
  private readonly lang: Lang;
  /** One evaluation at a time per account / per IP, so a burst raises one alert, not one per event. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly accounts: ExchangeAccounts,
    private readonly lock: EmergencyLock,
    private readonly desk: SupportDesk,
    private readonly opts: DetectorOptions,
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.lang = opts.lang ?? 'ja';
  }

  get policy(): DetectionPolicy {
    return this.opts.policy;
  }

  attach(events: AccountEvents): this {
    events.subscribe((e) => this.onEvent(e).then(() => undefined));
    return this;
  }

  private serial<T>(key: string, run: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(run, run);
    const settled = next.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  /** Evaluates one stored event; returns the ids of the alerts it raised. */
  async onEvent(e: StoredEvent): Promise<string[]> {
    const raised: string[] = [];
    if (e.kind === 'sign_in_failed' && e.ip) {
      const ip = e.ip;
      const id = await this.serial(`ip:${ip}`, () => this.checkStuffing(e, ip));
      if (id) raised.push(id);
    }
    if (e.accountId) {
      const accountId = e.accountId;
      const id = await this.serial(`account:${accountId}`, async () => {
        const findings = await this.accountFindings(e, accountId);
        return findings.length ? this.raise(accountId, e, findings) : null;
      });
      if (id) raised.push(id);
    }
    return raised;
  }

  // ---- rules ----

  private async accountFindings(e: StoredEvent, accountId: string): Promise<Finding[]> {
    const p = this.opts.policy;
    const findings: Finding[] = [];
    const add = (rule: RuleId, detail: Record<string, unknown>, events: EvidenceEvent[]) => {
      if (p.scores[rule] > 0) findings.push({ rule, score: p.scores[rule], detail, events });
    };
    switch (e.kind) {
      case 'sign_in': {
        const prior = await this.db.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM account_events WHERE account_id = $1 AND kind = 'sign_in' AND id <> $2 AND at <= $3 ORDER BY at DESC, id DESC LIMIT 500`,
          [accountId, e.id, e.at],
        );
        if (!prior.length) break; // the first sign-in sets the baseline
        if (e.device && !prior.some((r) => r.device === e.device)) {
          add('new_device', { device: e.device, knownDevices: [...new Set(prior.map((r) => r.device).filter(Boolean))].slice(0, 5) }, [viewOf(e)]);
        }
        const country = e.country?.toUpperCase() ?? null;
        const withCountry = prior.filter((r) => r.country);
        if (country && withCountry.length && !withCountry.some((r) => r.country?.toUpperCase() === country)) {
          add('new_country', { country, knownCountries: [...new Set(withCountry.map((r) => r.country!.toUpperCase()))].slice(0, 5) }, [viewOf(e)]);
        }
        const last = withCountry[0];
        if (country && last?.country && last.country.toUpperCase() !== country) {
          const km = countryDistanceKm(last.country, country);
          const hours = Math.max((e.at.getTime() - new Date(last.at).getTime()) / 3_600_000, 1 / 60);
          if (km !== null && km >= p.minDistanceKm && km / hours > p.maxSpeedKmh) {
            add(
              'impossible_travel',
              { from: last.country.toUpperCase(), to: country, distanceKm: Math.round(km), minutes: Math.round(hours * 60), speedKmh: Math.round(km / hours) },
              [view(last), viewOf(e)],
            );
          }
        }
        break;
      }
      case 'sign_in_failed': {
        const since = minutesBefore(e.at, p.failedBurst.minutes);
        const failures = await this.db.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM account_events WHERE account_id = $1 AND kind = 'sign_in_failed' AND at > $2 AND at <= $3 ORDER BY at DESC LIMIT 200`,
          [accountId, since, e.at],
        );
        if (failures.length >= p.failedBurst.count && !(await this.recentAlert('account_id', accountId, 'failed_burst', e.at))) {
          add('failed_burst', { failures: failures.length, minutes: p.failedBurst.minutes, ips: [...new Set(failures.map((f) => f.ip).filter(Boolean))].slice(0, 20) }, failures.map(view).reverse());
        }
        break;
      }
      case 'withdrawal_requested': {
        const [change] = await this.db.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM account_events WHERE account_id = $1 AND kind IN ('totp_reset','email_changed') AND at >= $2 AND at <= $3 AND id <> $4 ORDER BY at DESC LIMIT 1`,
          [accountId, new Date(e.at.getTime() - p.securityChangeWithdrawalHours * 3_600_000), e.at, e.id],
        );
        if (change) {
          add('security_change_then_withdrawal', { change: change.kind, hoursBetween: round1((e.at.getTime() - new Date(change.at).getTime()) / 3_600_000), data: e.data ?? {} }, [view(change), viewOf(e)]);
        }
        break;
      }
      case 'withdrawal_address_added': {
        const [change] = await this.db.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM account_events WHERE account_id = $1 AND kind = 'password_changed' AND at >= $2 AND at <= $3 AND id <> $4 ORDER BY at DESC LIMIT 1`,
          [accountId, new Date(e.at.getTime() - p.passwordAddressHours * 3_600_000), e.at, e.id],
        );
        if (change) {
          add('password_change_then_new_address', { hoursBetween: round1((e.at.getTime() - new Date(change.at).getTime()) / 3_600_000), data: e.data ?? {} }, [view(change), viewOf(e)]);
        }
        break;
      }
      case 'passkey_cloned': {
        const d = e.data ?? {};
        add('cloned_passkey', { passkeyId: d.passkeyId, name: d.name, storedCounter: d.storedCounter, receivedCounter: d.receivedCounter }, [viewOf(e)]);
        break;
      }
      default:
        break;
    }
    return findings;
  }

  /** Failures from one IP across many accounts (or attempted addresses without an account). One alert per window. */
  private async checkStuffing(e: StoredEvent, ip: string): Promise<string | null> {
    const p = this.opts.policy;
    if (p.scores.credential_stuffing <= 0) return null;
    const since = minutesBefore(e.at, p.credentialStuffing.minutes);
    const [stats] = await this.db.query<{ targets: string | number; failures: string | number }>(
      // A failure for an unknown address without its key counts as its own target; a rate-limited attempt with
      // neither account nor key (no credential was checked) counts as none.
      `SELECT count(DISTINCT CASE WHEN account_id IS NULL AND data->>'emailKey' IS NULL AND data->>'reason' = 'rate_limited' THEN NULL
                 ELSE coalesce(account_id, data->>'emailKey', data->>'email', 'event:' || id::text) END) AS targets, count(*) AS failures
         FROM account_events WHERE ip = $1 AND kind = 'sign_in_failed' AND at > $2 AND at <= $3`,
      [ip, since, e.at],
    );
    const targets = Number(stats?.targets ?? 0);
    if (targets < p.credentialStuffing.accounts) return null;
    if (await this.recentAlert('ip', ip, 'credential_stuffing', e.at)) return null;
    const events = await this.db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM account_events WHERE ip = $1 AND kind = 'sign_in_failed' AND at > $2 AND at <= $3 ORDER BY at DESC LIMIT 100`,
      [ip, since, e.at],
    );
    const finding: Finding = {
      rule: 'credential_stuffing',
      score: p.scores.credential_stuffing,
      detail: { ip, distinctTargets: targets, failures: Number(stats?.failures ?? 0), minutes: p.credentialStuffing.minutes },
      events: events.map(view).reverse(),
    };
    return this.raise(null, e, [finding]);
  }

  /** Whether an alert with this rule for this account / IP covers events within the dedupe window. */
  private async recentAlert(column: 'account_id' | 'ip', value: string, rule: RuleId, at: Date): Promise<boolean> {
    const [row] = await this.db.query(
      `SELECT 1 FROM security_alerts WHERE ${column} = $1 ${column === 'ip' ? 'AND account_id IS NULL' : ''} AND rules @> $2::jsonb
         AND (evidence->>'lastEventAt')::timestamptz > $3 LIMIT 1`,
      [value, JSON.stringify([rule]), minutesBefore(at, this.opts.policy.dedupeMinutes)],
    );
    return !!row;
  }

  // ---- alerts and actions ----

  private async raise(accountId: string | null, e: StoredEvent, findings: Finding[]): Promise<string | null> {
    const p = this.opts.policy;
    const score = findings.reduce((s, f) => s + f.score, 0);
    if (score < p.alertAt) return null;
    const rules = findings.map((f) => f.rule);
    const byId = new Map<number, EvidenceEvent>();
    for (const f of findings) for (const ev of f.events) byId.set(ev.id, ev);
    const events = [...byId.values()].sort((a, b) => a.at.localeCompare(b.at) || a.id - b.id);
    const evidence = { findings: findings.map((f) => ({ ...f, events: f.events.map((x) => x.id) })), events, lastEventAt: e.at.toISOString() };
    // Actions need an account: an alert about an IP alone (credential stuffing) is for staff.
    const planned = accountId ? actionsFor(p, score) : [];
    const actions: AlertActions = { planned, taken: [], stepUp: planned.includes('step_up') };
    if (actions.stepUp) actions.taken.push('step_up');
    const id = newId();
    const now = this.clock();
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO security_alerts (id, account_id, ip, rules, score, evidence, actions, created_at) VALUES ($1,$2,$3,$4::jsonb,$5,$6::jsonb,$7::jsonb,$8)`,
        [id, accountId, e.ip ?? null, JSON.stringify(rules), score, JSON.stringify(evidence), JSON.stringify(actions), now],
      );
      await appendAudit(tx, {
        actorType: 'system', actorId: null, ip: null, action: 'security.alert', targetType: accountId ? 'account' : 'ip', targetId: accountId ?? e.ip ?? null,
        data: { alertId: id, rules, score, planned },
      });
    });
    if (accountId && planned.length) await this.act(id, accountId, e, rules, score, actions);
    return id;
  }

  private async act(alertId: string, accountId: string, e: StoredEvent, rules: RuleId[], score: number, actions: AlertActions): Promise<void> {
    const errors: string[] = [];
    const account = await this.accounts.findAccount({ accountId });
    // The owner's language (their security center's), for the mail and the lock notice.
    const lang = (await userMailSettings(this.db, accountId).catch(() => null))?.lang ?? this.lang;
    const reasons = rules.map((r) => t(lang, `detection.rule.${r}`)).join(', ');
    if (actions.planned.includes('lock')) {
      try {
        // Audited by the lock itself (account.lock, actor system, source detection); it opens the urgent ticket.
        const result = await this.lock.lock(accountId, { source: 'detection', reason: `detection alert ${alertId}: ${rules.join(', ')} (score ${score})`, actor: SYSTEM_ACTOR, lang });
        actions.taken.push('lock');
        actions.lockId = result.lockId;
        if (result.ticketNumber !== null) {
          actions.ticketNumber = result.ticketNumber;
          actions.taken.push('ticket');
        }
      } catch (err) {
        errors.push('lock');
        this.opts.log?.('detection: the automatic lock failed', err);
      }
    }
    // After a lock the user already has the lock notice: a lock link would add nothing.
    if (actions.planned.includes('notify') && !actions.taken.includes('lock') && account) {
      try {
        const link = await this.lock.issueLockLink(accountId, account.email, 'detection');
        const mail = alertMail({ lang, exchangeName: this.opts.exchangeName[lang], link, reasons, at: e.at, timeZone: this.opts.timeZone ?? 'Asia/Tokyo', ip: e.ip ?? null, country: e.country ?? null, device: e.device ?? null });
        await this.db.transaction((tx) => enqueueMail(tx, { to: account.email, subject: mail.subject, text: mail.text, lang }, { domain: this.opts.mailDomain }));
        actions.taken.push('notify');
        actions.notifiedTo = account.email;
      } catch (err) {
        errors.push('notify');
        this.opts.log?.('detection: the notice to the user could not be queued', err);
      }
    }
    if (actions.planned.includes('ticket') && !actions.taken.includes('ticket') && account) {
      try {
        const body = t(this.lang, 'detectionTicket.body', { score, reasons, alertId });
        const priority = this.opts.policy.actions.lock !== null && score >= this.opts.policy.actions.lock ? 'urgent' : 'high';
        const ticket = await this.desk.submitParsed(parseContact({ body, email: account.email, category: 'security' }), {
          lang: this.lang, ip: e.ip ?? null, sendConfirmation: false,
          triage: { type: 'security', priority, reasons: rules.map((r) => ({ rule: `detection.${r}`, matched: alertId, effect: `type security, priority ${priority} (detection)`, code: 'detection' as const, params: { priority } })) },
        });
        actions.taken.push('ticket');
        actions.ticketNumber = ticket.number;
      } catch (err) {
        errors.push('ticket');
        this.opts.log?.('detection: the security ticket could not be opened', err);
      }
    }
    if (errors.length) actions.errors = errors;
    await this.db.query(`UPDATE security_alerts SET actions = $2::jsonb WHERE id = $1`, [alertId, JSON.stringify(actions)]);
  }

  // ---- for the sign-in flow ----

  /** True while an unacknowledged alert asked for step-up and the user has not completed it since. */
  async stepUpRequired(accountId: string): Promise<boolean> {
    const [row] = await this.db.query(
      `SELECT 1 FROM security_alerts WHERE account_id = $1 AND acknowledged_at IS NULL AND (actions->>'stepUp') = 'true' AND (actions->>'stepUpCompletedAt') IS NULL LIMIT 1`,
      [accountId],
    );
    return !!row;
  }

  /** The user passed a step-up check (e.g. TOTP again): the pending step-up requests are satisfied. */
  async completeStepUp(accountId: string): Promise<void> {
    await this.db.query(
      `UPDATE security_alerts SET actions = actions || jsonb_build_object('stepUpCompletedAt', $2::text)
        WHERE account_id = $1 AND (actions->>'stepUp') = 'true' AND (actions->>'stepUpCompletedAt') IS NULL`,
      [accountId, this.clock().toISOString()],
    );
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** The notice to the user: what we saw, and the one-time link that locks the account without a password. */
export function alertMail(c: { lang: Lang; exchangeName: string; link: string; reasons: string; at: Date; timeZone: string; ip: string | null; country: string | null; device: string | null }): { subject: string; text: string } {
  const where = [c.ip, c.country, c.device].filter(Boolean).join(' / ') || '-';
  const at = formatDateTime(c.lang, c.at, c.timeZone);
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'alertMail.subject', { exchange }),
    text: t(c.lang, 'alertMail.text', { at, reasons: c.reasons, where, link: c.link, signature: t(c.lang, 'lockMail.signature', { exchange }) }),
  };
}
