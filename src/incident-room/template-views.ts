/** Staff manage the pre-approved update templates: list, add, edit, archive and restore. */
import { html, multiline, type SafeHtml } from '../web/html.ts';
import { t, type MessageKey } from '../web/i18n.ts';
import { can } from '../staff/permissions.ts';
import { csrf, shell, type ConsoleContext } from '../console/views.ts';
import { PLACEHOLDERS, type Placeholder } from './placeholders.ts';
import type { UpdateTemplate } from './template-repository.ts';
import { statusLabel, timeEl } from './view-helpers.ts';

type FormValues = Record<string, unknown>;
const val = (v: FormValues | undefined, key: string): string => {
  const x = v?.[key];
  return typeof x === 'string' ? x : '';
};

const PLACEHOLDER_HELP: Record<Placeholder, MessageKey> = {
  incident: 'room.placeholder.help.incident',
  components: 'room.placeholder.help.components',
  pairs: 'room.placeholder.help.pairs',
  assets: 'room.placeholder.help.assets',
  started_at: 'room.placeholder.help.started_at',
  now: 'room.placeholder.help.now',
  scheduled_until: 'room.placeholder.help.scheduled_until',
  exchange: 'room.placeholder.help.exchange',
  status_url: 'room.placeholder.help.status_url',
  lock_url: 'room.placeholder.help.lock_url',
};

function placeholderHelp(c: ConsoleContext): SafeHtml {
  return html`<details class="placeholder-help"><summary>${t(c.lang, 'room.placeholder.title')}</summary>
<dl class="details">${PLACEHOLDERS.map((p) => html`<dt><code>{${p}}</code></dt><dd>${t(c.lang, PLACEHOLDER_HELP[p])}</dd>`)}</dl>
</details>`;
}

export const mayManageTemplates = (c: ConsoleContext) => can(c.staff.role, 'incident.templates');

function templateForm(c: ConsoleContext, action: string, values: FormValues | undefined, submit: string): SafeHtml {
  const status = val(values, 'status');
  return html`<form method="post" action="${action}" class="stack">${csrf(c)}
<div><label for="nameJa">${t(c.lang, 'room.field.templateNameJa')}</label><input id="nameJa" name="nameJa" type="text" required maxlength="200" value="${val(values, 'nameJa')}"></div>
<div><label for="nameEn">${t(c.lang, 'room.field.templateNameEn')}</label><input id="nameEn" name="nameEn" type="text" maxlength="200" value="${val(values, 'nameEn')}"></div>
<div><label for="status">${t(c.lang, 'room.field.templateStatus')}</label><select id="status" name="status">
<option value="">${t(c.lang, 'room.template.keepStatus')}</option>
${(['investigating', 'identified', 'monitoring', 'resolved'] as const).map((s) => html`<option value="${s}"${status === s ? html` selected` : ''}>${statusLabel(c.lang, s)}</option>`)}</select></div>
<div><label for="bodyJa">${t(c.lang, 'field.bodyJa')}</label><textarea id="bodyJa" name="bodyJa" required maxlength="20000" rows="6">${val(values, 'bodyJa')}</textarea></div>
<div><label for="bodyEn">${t(c.lang, 'field.bodyEn')}</label><textarea id="bodyEn" name="bodyEn" maxlength="20000" rows="6" lang="en">${val(values, 'bodyEn')}</textarea></div>
${placeholderHelp(c)}
<div><button type="submit">${submit}</button></div>
</form>`;
}

export function templatesPage(c: ConsoleContext, templates: UpdateTemplate[], values?: FormValues): string {
  const manage = mayManageTemplates(c);
  const rows = templates.map((tpl) => html`<li class="template${tpl.archivedAt ? ' template-archived' : ''}">
<h2 class="template-name">${c.lang === 'en' ? tpl.nameEn ?? tpl.nameJa : tpl.nameJa}${tpl.archivedAt ? html` <span class="meta">(${t(c.lang, 'room.template.archived')})</span>` : ''}</h2>
<p class="meta">${tpl.status ? t(c.lang, 'room.template.movesTo', { status: statusLabel(c.lang, tpl.status) }) : t(c.lang, 'room.template.keepStatus')}
· ${t(c.lang, 'room.template.updated')} ${timeEl(c, tpl.updatedAt)}${tpl.updatedByName ? ` (${tpl.updatedByName})` : ''}</p>
<div class="grid-2"><p>${multiline(tpl.bodyJa)}</p>${tpl.bodyEn ? html`<p lang="en">${multiline(tpl.bodyEn)}</p>` : html`<p class="meta">${t(c.lang, 'room.template.noEnglish')}</p>`}</div>
${manage ? html`<p class="template-actions"><a href="/staff/update-templates/${tpl.id}" aria-label="${t(c.lang, 'room.template.edit')}: ${c.lang === 'en' ? tpl.nameEn ?? tpl.nameJa : tpl.nameJa}">${t(c.lang, 'room.template.edit')}</a></p>
<form method="post" action="/staff/update-templates/${tpl.id}/archive" class="inline">${csrf(c)}<input type="hidden" name="archived" value="${tpl.archivedAt ? 'false' : 'true'}">
<button type="submit" class="secondary" aria-label="${t(c.lang, tpl.archivedAt ? 'room.template.restore' : 'room.template.archive')}: ${c.lang === 'en' ? tpl.nameEn ?? tpl.nameJa : tpl.nameJa}">${t(c.lang, tpl.archivedAt ? 'room.template.restore' : 'room.template.archive')}</button></form>` : ''}
</li>`);
  const body = html`<p class="hint">${t(c.lang, 'room.templates.hint')}</p>
${manage ? '' : html`<p class="hint">${t(c.lang, 'room.templates.readOnly')}</p>`}
<div class="room-grid">
<div class="room-column">${templates.length ? html`<ul class="templates">${rows}</ul>` : html`<p>${t(c.lang, 'room.templates.none')}</p>`}</div>
${manage ? html`<div class="room-column"><section class="room-panel" aria-labelledby="new-template-h"><h2 id="new-template-h">${t(c.lang, 'room.templates.new')}</h2>
${templateForm(c, '/staff/update-templates', values, t(c.lang, 'room.templates.create'))}</section></div>` : ''}
</div>`;
  return shell(c, t(c.lang, 'room.templates.title'), '/staff/update-templates', body, { wide: true });
}

export function templateEditPage(c: ConsoleContext, tpl: UpdateTemplate, values?: FormValues): string {
  const current: FormValues = values ?? {
    nameJa: tpl.nameJa, nameEn: tpl.nameEn ?? '', status: tpl.status ?? '', bodyJa: tpl.bodyJa, bodyEn: tpl.bodyEn ?? '',
  };
  const body = html`<p><a href="/staff/update-templates">${t(c.lang, 'room.templates.back')}</a></p>
${templateForm(c, `/staff/update-templates/${tpl.id}`, current, t(c.lang, 'staff.save'))}`;
  return shell(c, t(c.lang, 'room.template.editTitle', { name: c.lang === 'en' ? tpl.nameEn ?? tpl.nameJa : tpl.nameJa }), `/staff/update-templates/${tpl.id}`, body, { wide: true });
}
