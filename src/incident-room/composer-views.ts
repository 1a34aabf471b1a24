/**
 * The composer: the draft on one side, every channel's preview on the other (one after the other on a phone).
 * The publish button appears only with a preview, and publishes only what that preview showed.
 */
import { COMPONENT_STATUSES, type Component } from '../domain/component.ts';
import { INCIDENT_STATUSES, type Incident } from '../domain/incident.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { LANGS, t, type Lang } from '../web/i18n.ts';
import { csrf, shell, type ConsoleContext } from '../console/views.ts';
import type { ChannelPreviews, Draft } from './composer.ts';
import { PLACEHOLDERS } from './placeholders.ts';
import type { UpdateTemplate } from './template-repository.ts';
import { channelLabel } from './room-views.ts';
import { incidentName, statusLabel } from './view-helpers.ts';

export interface ComposeValues {
  templateId: string;
  status: string;
  bodyJa: string;
  bodyEn: string;
  componentStatuses: Record<string, string>;
  solveLinked: boolean;
}

export interface ComposePageData {
  incident: Incident;
  components: Component[];
  templates: UpdateTemplate[];
  template: UpdateTemplate | null;
  values: ComposeValues;
  /** The preview of what the form holds now, when asked for. */
  preview?: { draft: Draft; channels: ChannelPreviews };
  /** The desk runs and this staff member may answer tickets: resolving can solve the linked tickets. */
  canSolve: boolean;
}

const langName = (c: ConsoleContext, lang: Lang) => t(c.lang, lang === 'ja' ? 'room.lang.ja' : 'room.lang.en');

function componentFields(c: ConsoleContext, data: ComposePageData): SafeHtml {
  const leaves = data.components.filter((x) => !x.isGroup);
  const affected = leaves.filter((x) => data.incident.componentIds.includes(x.id));
  const others = leaves.filter((x) => !data.incident.componentIds.includes(x.id));
  const field = (comp: Component) => {
    const current = data.values.componentStatuses[comp.id] ?? '';
    const name = c.lang === 'en' ? comp.nameEn : comp.nameJa;
    return html`<div><label for="cs-${comp.id}">${t(c.lang, 'staff.newStatusFor', { component: name })}
<span class="meta">(${t(c.lang, `component.${comp.status}`)})</span></label>
<select id="cs-${comp.id}" name="cs.${comp.id}"><option value="">${t(c.lang, 'staff.unchanged')}</option>
${COMPONENT_STATUSES.map((s) => html`<option value="${s}"${current === s ? html` selected` : ''}>${t(c.lang, `component.${s}`)}</option>`)}</select></div>`;
  };
  const otherChosen = others.some((x) => data.values.componentStatuses[x.id]);
  return html`<fieldset><legend>${t(c.lang, 'field.componentStatuses')}</legend>
${affected.length ? html`<div class="grid-2">${affected.map(field)}</div>` : html`<p class="hint">${t(c.lang, 'room.compose.noComponents')}</p>`}
<details${otherChosen ? html` open` : ''}><summary>${t(c.lang, 'room.compose.otherComponents')}</summary><div class="grid-2">${others.map(field)}</div></details>
</fieldset>`;
}

function previewPanel(c: ConsoleContext, data: ComposePageData): SafeHtml {
  const p = data.preview;
  if (!p) return html`<section class="room-panel" aria-labelledby="preview-h"><h2 id="preview-h">${t(c.lang, 'room.compose.preview')}</h2><p class="hint">${t(c.lang, 'room.compose.previewHint')}</p></section>`;
  const ch = p.channels;
  const both = (render: (lang: Lang) => SafeHtml) => html`<div class="preview-langs">${LANGS.map((lang) => html`<div class="preview-lang" lang="${lang}"><h4>${langName(c, lang)}</h4>${render(lang)}</div>`)}</div>`;
  const audience = html`<table class="audience"><caption>${t(c.lang, 'room.compose.audience')}</caption>
<thead><tr><th scope="col">${t(c.lang, 'delivery.channel')}</th><th scope="col">${t(c.lang, 'room.compose.subscribers')}</th><th scope="col">${t(c.lang, 'room.lang.ja')}</th><th scope="col">${t(c.lang, 'room.lang.en')}</th></tr></thead>
<tbody>${ch.audience.map((a) => html`<tr><th scope="row">${channelLabel(c.lang, a.channel)}</th><td>${a.total}</td><td>${a.byLang.ja}</td><td>${a.byLang.en}</td></tr>`)}</tbody></table>
<p class="hint">${t(c.lang, 'room.compose.statusPageAudience')}</p>`;
  const warnings = ch.warnings.length
    ? html`<div class="warning-box" role="status"><h3>${t(c.lang, 'room.compose.warnings')}</h3><ul>${ch.warnings.map((w) => html`<li>${t(c.lang, w.key, w.params)}</li>`)}</ul></div>`
    : html`<p class="flash" role="status">${t(c.lang, 'room.compose.noWarnings')}</p>`;
  const channelCount = (channel: string) => {
    const a = ch.audience.find((x) => x.channel === channel);
    return a ? html` <span class="meta">${t(c.lang, 'room.compose.reaches', { count: a.total })}</span>` : '';
  };
  return html`<section class="room-panel" aria-labelledby="preview-h"><h2 id="preview-h">${t(c.lang, 'room.compose.preview')}</h2>
${warnings}
${audience}
<section class="preview" aria-labelledby="pv-page"><h3 id="pv-page">${t(c.lang, 'room.compose.statusPage')}</h3>
${both((lang) => html`<div class="preview-card">${ch.statusPage[lang]}</div>`)}</section>
<section class="preview" aria-labelledby="pv-email"><h3 id="pv-email">${t(c.lang, 'delivery.channel.email')}${channelCount('email')}</h3>
${both((lang) => {
    const mail = ch.email[lang];
    return mail ? html`<p><strong>${t(c.lang, 'room.compose.subject')}:</strong> ${mail.subject}</p><pre class="preview-text">${mail.text}</pre>` : html`<p>—</p>`;
  })}</section>
<section class="preview" aria-labelledby="pv-x"><h3 id="pv-x">${t(c.lang, 'delivery.channel.x')}${channelCount('x')}</h3>
${ch.x ? html`<p class="meta">${t(c.lang, 'room.compose.xLang', { lang: langName(c, ch.x.lang), posts: ch.x.posts.length })}</p>
<ol class="x-thread" lang="${ch.x.lang}">${ch.x.posts.map((post) => html`<li class="x-post"><p class="preview-text">${post.text}</p><p class="meta" lang="${c.lang}">${t(c.lang, 'room.compose.weighted', { length: post.weighted, max: 280 })}</p></li>`)}</ol>` : html`<p>—</p>`}</section>
<section class="preview" aria-labelledby="pv-slack"><h3 id="pv-slack">${t(c.lang, 'delivery.channel.slack')}${channelCount('slack')}</h3>
${both((lang) => {
    const msg = ch.slack[lang];
    if (!msg) return html`<p>—</p>`;
    // The words a block shows: its text, or its elements' (context lines, buttons).
    const blockText = (block: unknown): string => {
      const texts: string[] = [];
      const visit = (v: unknown): void => {
        if (!v || typeof v !== 'object') return;
        const o = v as Record<string, unknown>;
        if (typeof o.text === 'string') texts.push(o.text);
        else visit(o.text);
        if (Array.isArray(o.elements)) o.elements.forEach(visit);
      };
      visit(block);
      return texts.join(' ');
    };
    return html`<div class="slack-message">${msg.blocks.map((b) => html`<p class="slack-${String(b.type)}">${blockText(b)}</p>`)}</div>
<details><summary>${t(c.lang, 'room.compose.json')}</summary><pre class="preview-text">${JSON.stringify(msg, null, 2)}</pre></details>`;
  })}</section>
<section class="preview" aria-labelledby="pv-webhook"><h3 id="pv-webhook">${t(c.lang, 'delivery.channel.webhook')}${channelCount('webhook')}</h3>
${both((lang) => {
    const body = ch.webhook[lang];
    return body ? html`<details><summary>${t(c.lang, 'room.compose.webhookBody')}</summary><pre class="preview-text">${body}</pre></details>` : html`<p>—</p>`;
  })}</section>
</section>`;
}

export function composePage(c: ConsoleContext, data: ComposePageData): string {
  const i = data.incident;
  const v = data.values;
  const base = `/staff/incidents/${i.id}/room/compose`;
  const chooser = html`<form method="get" action="${base}" class="inline compose-start">
<div><label for="template">${t(c.lang, 'room.compose.startFrom')}</label>
<select id="template" name="template"><option value="">${t(c.lang, 'room.compose.scratch')}</option>
${data.templates.map((tpl) => html`<option value="${tpl.id}"${tpl.id === v.templateId ? html` selected` : ''}>${c.lang === 'en' ? tpl.nameEn ?? tpl.nameJa : tpl.nameJa}</option>`)}</select></div>
<button type="submit" class="secondary">${t(c.lang, 'room.compose.useTemplate')}</button>
<p class="hint">${t(c.lang, 'room.compose.templateHint')}</p></form>`;
  const statuses = INCIDENT_STATUSES.filter((s) => s !== 'postmortem');
  const previewed = data.preview?.draft.fingerprint;
  const form = html`<form method="post" action="${base}" class="stack compose-form">${csrf(c)}
<input type="hidden" name="templateId" value="${v.templateId}">
${previewed ? html`<input type="hidden" name="previewed" value="${previewed}">` : ''}
${data.template ? html`<p class="meta">${t(c.lang, 'room.compose.fromTemplate', { name: c.lang === 'en' ? data.template.nameEn ?? data.template.nameJa : data.template.nameJa })}</p>` : ''}
<div><label for="status">${t(c.lang, 'field.status')}</label><select id="status" name="status">
${statuses.map((s) => html`<option value="${s}"${s === v.status ? html` selected` : ''}>${statusLabel(c.lang, s)}${s === i.status ? ` (${t(c.lang, 'room.compose.current')})` : ''}</option>`)}</select></div>
<div><label for="bodyJa">${t(c.lang, 'field.bodyJa')}</label><textarea id="bodyJa" name="bodyJa" required maxlength="20000" rows="8">${v.bodyJa}</textarea></div>
<div><label for="bodyEn">${t(c.lang, 'field.bodyEn')}</label><textarea id="bodyEn" name="bodyEn" maxlength="20000" rows="8" lang="en">${v.bodyEn}</textarea></div>
<p class="hint">${t(c.lang, 'room.compose.placeholders', { list: PLACEHOLDERS.map((p) => `{${p}}`).join(' ') })}</p>
${componentFields(c, data)}
${data.canSolve ? html`<label class="radio"><input type="checkbox" name="solveLinked" value="true"${v.solveLinked ? html` checked` : ''}> ${t(c.lang, 'desk.solveLinked')}</label>` : ''}
<div class="compose-actions"><button type="submit" name="intent" value="preview"${previewed ? html` class="secondary"` : ''}>${t(c.lang, previewed ? 'room.compose.previewAgain' : 'room.compose.previewButton')}</button>
${previewed ? html`<button type="submit" name="intent" value="publish">${t(c.lang, 'room.compose.publish')}</button>` : ''}</div>
<p class="hint">${t(c.lang, previewed ? 'room.compose.publishHint' : 'room.compose.previewFirst')}</p>
</form>`;
  const body = html`<p class="meta">${i.severity} · ${t(c.lang, `type.${i.type}`)} · ${statusLabel(c.lang, i.status)} · <a href="/staff/incidents/${i.id}/room">${t(c.lang, 'room.backToRoom')}</a></p>
${chooser}
<div class="room-grid">
<div class="room-column"><section class="room-panel" aria-labelledby="draft-h"><h2 id="draft-h">${t(c.lang, 'room.compose.draft')}</h2>${form}</section></div>
<div class="room-column">${previewPanel(c, data)}</div>
</div>`;
  return shell(c, t(c.lang, 'room.compose.title', { incident: incidentName(c.lang, i) }), base, body, { wide: true });
}
