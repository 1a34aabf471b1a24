import { html } from '../web/html.ts';
import { t, type MessageKey } from '../web/i18n.ts';
import type { StaffMember } from './accounts.ts';
import { RESET_REQUEST_HOURS, type FactorKind, type FactorResetRequest } from './factors.ts';
import { ROLES, type Role } from './permissions.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';

type FormValues = Record<string, unknown>;
const val = (v: FormValues | undefined, key: string): string => {
  const x = v?.[key];
  return typeof x === 'string' ? x : '';
};

function roleOptions(c: ConsoleContext, selected: string) {
  return ROLES.map((r) => html`<option value="${r}"${r === selected ? html` selected` : ''}>${t(c.lang, `staff.role.${r}`)}</option>`);
}

/** Second factors on the team page: who has enrolled what, their SSO subject, and resets waiting for a second admin. */
export interface TeamSecurity {
  factors: Map<string, { kinds: FactorKind[]; oidcSubject: string | null }>;
  resets: FactorResetRequest[];
  oidcEnabled: boolean;
}

const FACTOR_LABEL: Record<FactorKind, MessageKey> = { totp: 'staffAuth.team.totp', passkey: 'staffAuth.team.passkey' };

function factorCell(c: ConsoleContext, m: StaffMember, security: TeamSecurity) {
  const info = security.factors.get(m.id);
  const kinds = info?.kinds ?? [];
  const pending = security.resets.some((r) => r.staffId === m.id);
  return html`<td>${kinds.length ? kinds.map((k) => t(c.lang, FACTOR_LABEL[k])).join(', ') : t(c.lang, 'staffAuth.team.none')}
${info?.oidcSubject ? html`<br><span class="meta">${t(c.lang, 'staffAuth.team.oidc', { subject: info.oidcSubject })}</span>` : ''}
${m.id !== c.staff.id && kinds.length && !pending ? html`<details><summary>${t(c.lang, 'staffAuth.team.requestReset')}</summary>
<form method="post" action="/staff/team/${m.id}/factor-reset" class="stack">${csrf(c)}
<div><label for="reason-${m.id}">${t(c.lang, 'staffAuth.team.reasonFor', { name: m.name })}</label>
<input id="reason-${m.id}" name="reason" type="text" required maxlength="500" autocomplete="off"></div>
<div><button type="submit" class="secondary">${t(c.lang, 'staffAuth.team.send')}</button></div></form></details>` : ''}
${security.oidcEnabled ? html`<details><summary>${t(c.lang, 'staffAuth.team.linkOidc')}</summary>
<form method="post" action="/staff/team/${m.id}/oidc" class="stack">${csrf(c)}
<div><label for="oidc-${m.id}">${t(c.lang, 'staffAuth.team.oidcSubjectFor', { name: m.name })}</label>
<input id="oidc-${m.id}" name="subject" type="text" maxlength="255" autocomplete="off" value="${info?.oidcSubject ?? ''}"></div>
<div><button type="submit" class="secondary">${t(c.lang, 'staffAuth.team.save')}</button></div></form></details>` : ''}</td>`;
}

function resetsSection(c: ConsoleContext, security: TeamSecurity) {
  const item = (r: FactorResetRequest) => {
    const own = r.requestedBy === c.staff.id;
    const button = (path: string, label: string, secondary: boolean) =>
      html`<form method="post" action="/staff/team/factor-resets/${r.id}/${path}" class="inline">${csrf(c)}<button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button></form>`;
    return html`<li><strong>${t(c.lang, 'staffAuth.team.resetFor', { name: r.staffName, email: r.staffEmail })}</strong>
<p class="meta">${t(c.lang, 'staffAuth.team.requestedBy', { name: r.requestedByName, time: when(c, r.requestedAt), expires: when(c, r.expiresAt) })}</p>
<p>${t(c.lang, 'staffAuth.team.reason', { reason: r.reason })}</p>
${own ? html`<p class="hint">${t(c.lang, 'staffAuth.team.ownRequest')}</p>` : r.staffId === c.staff.id ? '' : button('approve', t(c.lang, 'staffAuth.team.approve'), false)}
${button('cancel', t(c.lang, 'staffAuth.team.cancel'), true)}</li>`;
  };
  return html`<h2>${t(c.lang, 'staffAuth.team.resets')}</h2>
<p class="hint">${t(c.lang, 'staffAuth.team.resetsHint', { hours: RESET_REQUEST_HOURS })}</p>
${security.resets.length ? html`<ul class="history">${security.resets.map(item)}</ul>` : html`<p>${t(c.lang, 'staffAuth.team.noResets')}</p>`}`;
}

/** The team: every member with their state, and the forms to add, re-role, disable/enable and reset. */
export function teamPage(c: ConsoleContext, members: StaffMember[], security: TeamSecurity, values?: FormValues): string {
  const row = (m: StaffMember) => {
    const action = (path: string, label: string, secondary = true) =>
      html`<form method="post" action="/staff/team/${m.id}/${path}" class="inline">${csrf(c)}<button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button></form>`;
    return html`<tr${m.disabledAt ? html` class="meta"` : ''}>
<th scope="row">${m.name} ${m.id === c.staff.id ? html`<span class="meta">${t(c.lang, 'staff.team.you')}</span>` : ''}<br><span class="meta">${m.email}</span></th>
<td><form method="post" action="/staff/team/${m.id}/role" class="inline">${csrf(c)}
<label class="visually-hidden" for="role-${m.id}">${t(c.lang, 'staff.team.roleFor', { name: m.name })}</label>
<select id="role-${m.id}" name="role">${roleOptions(c, m.role)}</select>
<button type="submit" class="secondary">${t(c.lang, 'staff.team.changeRole')}</button></form></td>
<td>${when(c, m.createdAt)}</td>
<td>${m.lastSignInAt ? when(c, m.lastSignInAt) : t(c.lang, 'staff.team.never')}
${m.lastSeenAt ? html`<br><span class="meta">${t(c.lang, 'staff.team.lastSeen', { time: when(c, m.lastSeenAt) })}</span>` : ''}</td>
<td>${m.disabledAt ? t(c.lang, 'staff.team.disabledSince', { time: when(c, m.disabledAt) }) : t(c.lang, 'staff.team.active')}</td>
${factorCell(c, m, security)}
<td>${m.disabledAt ? action('enable', t(c.lang, 'staff.team.enable')) : action('disable', t(c.lang, 'staff.team.disable'))}
${action('password', t(c.lang, 'staff.team.resetPassword'))}</td>
</tr>`;
  };
  const body = html`<p class="hint">${t(c.lang, 'staff.team.hint')}</p>
<h2>${t(c.lang, 'staff.team.members')}</h2>
<table><thead><tr><th scope="col">${t(c.lang, 'field.name')}</th><th scope="col">${t(c.lang, 'field.role')}</th>
<th scope="col">${t(c.lang, 'staff.team.created_at')}</th><th scope="col">${t(c.lang, 'staff.team.lastSignIn')}</th>
<th scope="col">${t(c.lang, 'staff.team.state')}</th><th scope="col">${t(c.lang, 'staffAuth.team.factors')}</th><th scope="col">${t(c.lang, 'staff.team.actions')}</th></tr></thead>
<tbody>${members.map(row)}</tbody></table>
${resetsSection(c, security)}
<h2>${t(c.lang, 'staff.team.add')}</h2>
<form method="post" action="/staff/team" class="stack">${csrf(c)}
<div class="grid-2">
<div><label for="email">${t(c.lang, 'field.email')}</label><input id="email" name="email" type="email" required maxlength="254" autocomplete="off" value="${val(values, 'email')}"></div>
<div><label for="name">${t(c.lang, 'field.name')}</label><input id="name" name="name" type="text" required maxlength="100" autocomplete="off" value="${val(values, 'name')}"></div>
</div>
<div><label for="role">${t(c.lang, 'field.role')}</label><select id="role" name="role">${roleOptions(c, val(values, 'role') || 'viewer')}</select></div>
<p class="hint">${t(c.lang, 'staff.team.addHint')}</p>
<div><button type="submit">${t(c.lang, 'staff.team.add')}</button></div>
</form>`;
  return shell(c, t(c.lang, 'staff.team'), '/staff/team', body);
}

/** The one page that ever shows a generated password. It is answered to the POST itself, never stored. */
export function passwordPage(
  c: ConsoleContext,
  kind: 'created' | 'reset',
  member: { name: string; email: string; role: Role },
  password: string,
  sessionsRevoked?: number,
): string {
  const title = t(c.lang, kind === 'created' ? 'staff.team.created' : 'staff.team.passwordReset');
  const body = html`<p>${member.name} · ${member.email} · ${t(c.lang, `staff.role.${member.role}`)}</p>
<div><label for="generated-password">${t(c.lang, 'staff.team.passwordFor', { name: member.name, email: member.email })}</label>
<input id="generated-password" type="text" readonly autocomplete="off" spellcheck="false" value="${password}"></div>
<p class="error-box" role="note">${t(c.lang, 'staff.team.passwordOnce')}</p>
${sessionsRevoked !== undefined ? html`<p class="hint">${t(c.lang, 'staff.team.sessionsRevoked', { count: sessionsRevoked })}</p>` : ''}
<p><a href="/staff/team">${t(c.lang, 'staff.team.back')}</a></p>`;
  return shell(c, title, '/staff/team', body);
}
