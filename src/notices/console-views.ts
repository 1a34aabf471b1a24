import type { Notice, NoticeRevision } from './notices.ts';
import type { TermsVersion } from './terms.ts';
import type { PendingUser, TermsCounts } from './report.ts';
import type { TermsDiff } from './diff.ts';
import { formatDay } from './days.ts';
import { renderMarkdown } from './markdown.ts';
import { renderDiff, summaryBlock } from './public-views.ts';
import { NOTICE_TEXT_MAX, NOTICE_TITLE_MAX, TERMS_BODY_MAX, TERMS_SUMMARY_MAX } from './validation.ts';
import { can } from '../staff/permissions.ts';
import { html, multiline, type SafeHtml } from '../web/html.ts';
import { t, type KeysUnder } from '../web/i18n.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';

/** The staff side of notices and terms: lists, forms (shown again with the input after a refusal), the report. */

export type FormValues = Record<string, unknown>;

/** A submitted value to show again in the form: text only, and never more than the field could hold. */
const val = (v: FormValues | undefined, key: string, max: number): string => {
  const x = v?.[key];
  return typeof x === 'string' ? x.slice(0, max + 100) : '';
};

const field = (c: ConsoleContext, name: KeysUnder<'notices.field'>) => t(c.lang, `notices.field.${name}`);
const canPublish = (c: ConsoleContext) => can(c.staff.role, 'notice.publish');

function textInput(c: ConsoleContext, name: KeysUnder<'notices.field'>, values: FormValues | undefined, max: number, required: boolean): SafeHtml {
  return html`<div><label for="${name}">${field(c, name)}</label><input id="${name}" name="${name}" type="text" maxlength="${max}"${required ? html` required` : ''} value="${val(values, name, max)}"></div>`;
}

function textArea(c: ConsoleContext, name: KeysUnder<'notices.field'>, values: FormValues | undefined, max: number, required: boolean, rows = 6): SafeHtml {
  return html`<div><label for="${name}">${field(c, name)}</label><textarea id="${name}" name="${name}" rows="${rows}" maxlength="${max}"${required ? html` required` : ''}>${val(values, name, max)}</textarea></div>`;
}

function dayInput(c: ConsoleContext, name: KeysUnder<'notices.field'>, values: FormValues | undefined, required: boolean): SafeHtml {
  return html`<div><label for="${name}">${field(c, name)}</label><input id="${name}" name="${name}" type="date" min="2000-01-01" max="2099-12-31"${required ? html` required` : ''} value="${val(values, name, 10)}"></div>`;
}

const statusBadge = (c: ConsoleContext, status: Notice['status']) =>
  html`<span class="notice-status ns-${status}">${t(c.lang, `notices.staff.status.${status}`)}</span>`;

function sectionNav(c: ConsoleContext): SafeHtml {
  return html`<ul class="console-nav"><li><a href="/staff/notices">${t(c.lang, 'notices.staff.title')}</a></li><li><a href="/staff/terms">${t(c.lang, 'terms.staff.title')}</a></li></ul>`;
}

// ------------------------------------------------------------------------------------------------ notices

export function noticesListPage(c: ConsoleContext, notices: Notice[]): string {
  const body = html`${sectionNav(c)}
${canPublish(c) ? html`<p><a class="button" href="/staff/notices/new">${t(c.lang, 'notices.staff.new')}</a></p>` : html`<p class="hint">${t(c.lang, 'notices.staff.readOnly')}</p>`}
${notices.length
    ? html`<div class="table-scroll"><table><thead><tr><th scope="col">${field(c, 'titleJa')}</th><th scope="col">${t(c.lang, 'field.status')}</th><th scope="col">${field(c, 'effectiveFrom')}</th><th scope="col">${field(c, 'deadline')}</th></tr></thead>
<tbody>${notices.map((n) => html`<tr><td><a href="/staff/notices/${n.id}">${n.titleJa}</a></td><td>${statusBadge(c, n.status)}</td><td>${n.effectiveFrom}</td><td>${n.deadline ?? '—'}</td></tr>`)}</tbody></table></div>`
    : html`<p>${t(c.lang, 'notices.staff.none')}</p>`}`;
  return shell(c, t(c.lang, 'notices.staff.title'), '/staff/notices', body);
}

function noticeFields(c: ConsoleContext, values: FormValues | undefined): SafeHtml {
  return html`${textInput(c, 'titleJa', values, NOTICE_TITLE_MAX, true)}
${textArea(c, 'changesJa', values, NOTICE_TEXT_MAX, true)}
${textArea(c, 'actionJa', values, NOTICE_TEXT_MAX, true)}
<div class="grid-2">${dayInput(c, 'effectiveFrom', values, true)}${dayInput(c, 'deadline', values, false)}</div>
<fieldset><legend>${t(c.lang, 'notices.staff.english')}</legend>
<p class="hint">${t(c.lang, 'notices.staff.enHint')}</p>
${textInput(c, 'titleEn', values, NOTICE_TITLE_MAX, false)}
${textArea(c, 'changesEn', values, NOTICE_TEXT_MAX, false)}
${textArea(c, 'actionEn', values, NOTICE_TEXT_MAX, false)}
</fieldset>`;
}

export function newNoticePage(c: ConsoleContext, values?: FormValues): string {
  const body = html`${sectionNav(c)}
<form method="post" action="/staff/notices" class="stack">${csrf(c)}
${noticeFields(c, values)}
<div><button type="submit" name="intent" value="draft" class="secondary">${t(c.lang, 'notices.staff.saveDraft')}</button>
<button type="submit" name="intent" value="publish">${t(c.lang, 'notices.staff.publish')}</button></div>
</form>`;
  return shell(c, t(c.lang, 'notices.staff.new'), '/staff/notices/new', body);
}

const noticeValues = (n: Notice): FormValues => ({
  titleJa: n.titleJa, titleEn: n.titleEn ?? '', changesJa: n.changesJa, changesEn: n.changesEn ?? '',
  actionJa: n.actionJa, actionEn: n.actionEn ?? '', effectiveFrom: n.effectiveFrom, deadline: n.deadline ?? '',
});

export function noticePage(c: ConsoleContext, n: Notice, revisions: NoticeRevision[], values?: FormValues): string {
  const base = `/staff/notices/${n.id}`;
  const preview = html`<section class="notice-preview" aria-labelledby="np-h"><h2 id="np-h">${n.titleJa}</h2>
<p class="meta">${statusBadge(c, n.status)} · ${t(c.lang, 'notices.effective', { date: formatDay(c.lang, n.effectiveFrom) })}${n.deadline ? html` · ${t(c.lang, 'notices.deadline', { date: formatDay(c.lang, n.deadline) })}` : ''}</p>
<h3>${t(c.lang, 'notices.changes')}</h3><p>${multiline(n.changesJa)}</p>
<h3>${t(c.lang, 'notices.action')}</h3><p>${multiline(n.actionJa)}</p>
${n.titleEn ? html`<div lang="en"><h3>${n.titleEn}</h3>${n.changesEn ? html`<p>${multiline(n.changesEn)}</p>` : ''}${n.actionEn ? html`<p>${multiline(n.actionEn)}</p>` : ''}</div>` : ''}
${n.status === 'withdrawn' && n.withdrawnAt ? html`<p class="notice">${t(c.lang, 'notices.withdrawnBanner', { time: when(c, n.withdrawnAt) })}${n.withdrawnReason ? html` ${t(c.lang, 'notices.withdrawnReason', { reason: n.withdrawnReason })}` : ''}</p>` : ''}
${n.status !== 'draft' ? html`<p><a href="/notices/${n.id}">${t(c.lang, 'notices.staff.viewPublic')}</a></p>` : ''}
</section>`;
  const actions = canPublish(c) && n.status !== 'withdrawn'
    ? html`<h2>${t(c.lang, 'notices.staff.edit')}</h2>
${n.status === 'published' ? html`<p class="hint">${t(c.lang, 'notices.staff.editHint')}</p>` : ''}
<form method="post" action="${base}" class="stack">${csrf(c)}
${noticeFields(c, values ?? noticeValues(n))}
<div><button type="submit" class="secondary">${t(c.lang, 'notices.staff.save')}</button></div></form>
${n.status === 'draft' ? html`<form method="post" action="${base}/publish" class="stack">${csrf(c)}<div><button type="submit">${t(c.lang, 'notices.staff.publish')}</button></div></form>` : ''}
${n.status === 'published' ? html`<form method="post" action="${base}/withdraw" class="stack">${csrf(c)}
${textArea(c, 'reason', undefined, 1000, false, 3)}
<div><button type="submit" class="secondary">${t(c.lang, 'notices.staff.withdraw')}</button></div></form>` : ''}`
    : '';
  const history = revisions.length
    ? html`<h2>${t(c.lang, 'notices.staff.revisions')}</h2><ol class="history" reversed>${revisions.map((r) => html`<li>
<p class="meta">${t(c.lang, 'notices.staff.revision', { revision: r.revision, time: when(c, r.replacedAt), name: r.replacedByName ?? '—' })}</p>
<details><summary>${r.content.titleJa}</summary><p>${multiline(r.content.changesJa)}</p><p>${multiline(r.content.actionJa)}</p>
<p class="meta">${r.content.effectiveFrom} / ${r.content.deadline ?? '—'}</p></details></li>`)}</ol>`
    : '';
  return shell(c, n.titleJa, base, html`${sectionNav(c)}${preview}${actions}${history}`);
}

// ------------------------------------------------------------------------------------------------ terms

const termsStatus = (c: ConsoleContext, v: TermsVersion) =>
  v.status === 'published' ? t(c.lang, 'terms.staff.published', { seq: v.seq ?? 0 }) : t(c.lang, 'terms.staff.draft');
const versionPath = (v: TermsVersion) => `/staff/terms/${encodeURIComponent(v.label)}`;

export function termsListPage(c: ConsoleContext, versions: TermsVersion[]): string {
  const body = html`${sectionNav(c)}
${canPublish(c) ? html`<p><a class="button" href="/staff/terms/new">${t(c.lang, 'terms.staff.new')}</a></p>` : ''}
<p class="hint">${t(c.lang, 'terms.staff.reminderHint')}</p>
${versions.length
    ? html`<div class="table-scroll"><table><thead><tr><th scope="col">${field(c, 'label')}</th><th scope="col">${t(c.lang, 'field.status')}</th><th scope="col">${field(c, 'effectiveFrom')}</th><th scope="col">${field(c, 'ackDeadline')}</th><th scope="col">${t(c.lang, 'terms.staff.pending')}</th></tr></thead>
<tbody>${versions.map((v) => html`<tr><td><a href="${versionPath(v)}">${v.label}</a></td><td>${termsStatus(c, v)}</td><td>${v.effectiveFrom}</td>
<td>${v.ackRequired ? (v.ackDeadline ?? t(c.lang, 'terms.staff.ackYes')) : t(c.lang, 'terms.staff.ackNo')}</td>
<td>${v.status === 'published' && canPublish(c) ? html`<a href="${versionPath(v)}/pending">${t(c.lang, 'terms.staff.pending')}</a>` : '—'}</td></tr>`)}</tbody></table></div>`
    : html`<p>${t(c.lang, 'terms.staff.none')}</p>`}`;
  return shell(c, t(c.lang, 'terms.staff.title'), '/staff/terms', body);
}

function termsFields(c: ConsoleContext, values: FormValues | undefined): SafeHtml {
  const ack = values ? values.ackRequired === 'on' || values.ackRequired === true || values.ackRequired === 'true' : true;
  return html`${textInput(c, 'label', values, 32, true)}
<div class="grid-2">${dayInput(c, 'effectiveFrom', values, true)}${dayInput(c, 'ackDeadline', values, false)}</div>
<label class="radio"><input type="checkbox" name="ackRequired" value="on"${ack ? html` checked` : ''}> ${field(c, 'ackRequired')}</label>
${textArea(c, 'summaryJa', values, TERMS_SUMMARY_MAX, true, 4)}
<p class="hint">${t(c.lang, 'terms.staff.markdownHint')}</p>
${textArea(c, 'bodyJa', values, TERMS_BODY_MAX, true, 16)}
<fieldset><legend>${t(c.lang, 'notices.staff.english')}</legend>
<p class="hint">${t(c.lang, 'notices.staff.enHint')}</p>
${textArea(c, 'summaryEn', values, TERMS_SUMMARY_MAX, false, 4)}
${textArea(c, 'bodyEn', values, TERMS_BODY_MAX, false, 16)}
</fieldset>`;
}

export function newTermsPage(c: ConsoleContext, values?: FormValues): string {
  const body = html`${sectionNav(c)}
<p class="hint">${t(c.lang, 'terms.staff.publishHint')}</p>
<form method="post" action="/staff/terms" class="stack">${csrf(c)}
${termsFields(c, values)}
<div><button type="submit" name="intent" value="draft" class="secondary">${t(c.lang, 'notices.staff.saveDraft')}</button>
<button type="submit" name="intent" value="publish">${t(c.lang, 'notices.staff.publish')}</button></div>
</form>`;
  return shell(c, t(c.lang, 'terms.staff.new'), '/staff/terms/new', body);
}

const termsValues = (v: TermsVersion): FormValues => ({
  label: v.label, effectiveFrom: v.effectiveFrom, ackDeadline: v.ackDeadline ?? '', ackRequired: v.ackRequired,
  summaryJa: v.summaryJa, summaryEn: v.summaryEn ?? '', bodyJa: v.bodyJa, bodyEn: v.bodyEn ?? '',
});

export function termsVersionPage(c: ConsoleContext, v: TermsVersion, extra: { counts: TermsCounts | null; hasPrevious: boolean; values?: FormValues }): string {
  const base = versionPath(v);
  const meta = html`<p class="meta">${termsStatus(c, v)} · ${t(c.lang, 'terms.effective', { date: formatDay(c.lang, v.effectiveFrom) })} ·
${v.ackRequired ? t(c.lang, 'terms.staff.ackYes') : t(c.lang, 'terms.staff.ackNo')}${v.ackDeadline ? html` · ${t(c.lang, 'terms.ackDeadline', { date: formatDay(c.lang, v.ackDeadline) })}` : ''}</p>
${extra.counts ? html`<p><strong>${t(c.lang, 'terms.staff.counts', { users: extra.counts.users, acknowledged: extra.counts.acknowledged, pending: extra.counts.pending })}</strong>
${canPublish(c) ? html` <a href="${base}/pending">${t(c.lang, 'terms.staff.pending')}</a>` : ''}</p>` : ''}
<ul class="console-nav">
${extra.hasPrevious ? html`<li><a href="${base}/diff">${v.status === 'draft' ? t(c.lang, 'terms.staff.previewDiff') : t(c.lang, 'terms.diffLink')}</a></li>` : ''}
${v.status === 'published' ? html`<li><a href="/terms/versions/${encodeURIComponent(v.label)}">${t(c.lang, 'notices.staff.viewPublic')}</a></li>` : ''}
</ul>`;
  const draftForms = v.status === 'draft' && canPublish(c)
    ? html`<form method="post" action="${base}/publish" class="stack">${csrf(c)}<p class="hint">${t(c.lang, 'terms.staff.publishHint')}</p><div><button type="submit">${t(c.lang, 'notices.staff.publish')}</button></div></form>
<h2>${t(c.lang, 'terms.staff.edit')}</h2>
<form method="post" action="${base}" class="stack">${csrf(c)}
${termsFields(c, extra.values ?? termsValues(v))}
<div><button type="submit" class="secondary">${t(c.lang, 'notices.staff.save')}</button></div></form>`
    : '';
  const body = html`${sectionNav(c)}${meta}
${summaryBlock(c.lang === 'en' && v.summaryEn ? 'en' : 'ja', v)}
<details${v.status === 'published' ? html` open` : ''}><summary>${field(c, 'bodyJa')}</summary><div class="terms-body">${renderMarkdown(v.bodyJa)}</div></details>
${v.bodyEn ? html`<details><summary>${field(c, 'bodyEn')}</summary><div class="terms-body" lang="en">${renderMarkdown(v.bodyEn)}</div></details>` : ''}
${draftForms}`;
  return shell(c, `${t(c.lang, 'terms.staff.title')} ${v.label}`, base, body);
}

export function termsDiffStaffPage(c: ConsoleContext, v: TermsVersion, previous: TermsVersion, diff: TermsDiff): string {
  const title = t(c.lang, 'terms.diffTitle', { from: previous.label, to: v.label });
  return shell(c, title, `${versionPath(v)}/diff`, html`${sectionNav(c)}<p><a href="${versionPath(v)}">${v.label}</a></p>${renderDiff(c.lang, diff)}`);
}

export function pendingReportPage(c: ConsoleContext, v: TermsVersion, data: { counts: TermsCounts; users: PendingUser[]; offset: number; limit: number }): string {
  const base = versionPath(v);
  const { counts, users, offset, limit } = data;
  const stage = (s: string) => (s === '7d' || s === '1d' ? t(c.lang, `terms.staff.stage.${s}`) : s);
  const body = html`${sectionNav(c)}
<p><strong>${t(c.lang, 'terms.staff.counts', { users: counts.users, acknowledged: counts.acknowledged, pending: counts.pending })}</strong></p>
<p><a class="button" href="${base}/pending.csv" download>${t(c.lang, 'terms.staff.csv')}</a></p>
${users.length
    ? html`<p class="meta">${t(c.lang, 'terms.staff.range', { from: offset + 1, to: offset + users.length, total: counts.pending })}</p>
<div class="table-scroll"><table class="pending-users"><thead><tr><th scope="col">${t(c.lang, 'terms.staff.col.email')}</th><th scope="col">${t(c.lang, 'terms.staff.col.account')}</th><th scope="col">${t(c.lang, 'terms.staff.col.lang')}</th><th scope="col">${t(c.lang, 'terms.staff.col.reminders')}</th><th scope="col">${t(c.lang, 'terms.staff.col.lastReminded')}</th></tr></thead>
<tbody>${users.map((u) => html`<tr><td>${u.email ?? '—'}</td><td><code>${u.accountId}</code></td><td>${u.lang}</td><td>${u.reminders.map(stage).join(', ') || '—'}</td><td>${u.lastRemindedAt ? when(c, u.lastRemindedAt) : '—'}</td></tr>`)}</tbody></table></div>
<nav aria-label="${t(c.lang, 'terms.staff.pending')}"><ul class="console-nav">
${offset > 0 ? html`<li><a href="${base}/pending?offset=${Math.max(0, offset - limit)}" rel="prev">${t(c.lang, 'terms.staff.prev')}</a></li>` : ''}
${offset + users.length < counts.pending ? html`<li><a href="${base}/pending?offset=${offset + limit}" rel="next">${t(c.lang, 'terms.staff.next')}</a></li>` : ''}
</ul></nav>`
    : html`<p>${t(c.lang, 'terms.staff.noPending')}</p>`}`;
  return shell(c, t(c.lang, 'terms.staff.pendingTitle', { label: v.label }), `${base}/pending`, body);
}
