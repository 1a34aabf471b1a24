/**
 * The browser side of a ceremony: the one static script (src/webauthn/browser.js at /assets/webauthn.js) and the
 * form it drives. Pages that carry such a form send WEBAUTHN_PAGE_CSP, which is the site's policy plus
 * `script-src 'self'`; every other page keeps the policy without any script.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { html, type SafeHtml } from '../web/html.ts';
import { CONTENT_SECURITY_POLICY } from '../web/security.ts';

const SCRIPT = readFileSync(new URL('./browser.js', import.meta.url));
const SCRIPT_VERSION = createHash('sha256').update(SCRIPT).digest('hex').slice(0, 12);
export const WEBAUTHN_SCRIPT_PATH = '/assets/webauthn.js';

/** The site's policy, and scripts from our own origin (the file above; no inline script, no eval). */
export const WEBAUTHN_PAGE_CSP = `${CONTENT_SECURITY_POLICY}; script-src 'self'`;

/** Serves the script (once per app, whichever side registers first). Versioned URL, so it may be cached for a year. */
export function registerWebAuthnScript(app: FastifyInstance): void {
  if (app.hasRoute({ method: 'GET', url: WEBAUTHN_SCRIPT_PATH })) return;
  app.get(WEBAUTHN_SCRIPT_PATH, async (request, reply) => {
    const versioned = (request.query as Record<string, unknown>).v === SCRIPT_VERSION;
    return reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('etag', `"${SCRIPT_VERSION}"`)
      .send(SCRIPT);
  });
}

/** A page with a ceremony form: its answer allows our script. */
export function allowWebAuthnScript(reply: FastifyReply): FastifyReply {
  return reply.header('content-security-policy', WEBAUTHN_PAGE_CSP);
}

export interface CeremonyFormInput {
  mode: 'create' | 'get';
  action: string;
  /** The options from WebAuthnCeremonies, as JSON for the script. */
  options: object;
  /** Hidden fields the route needs (CSRF token, action). */
  hidden: SafeHtml;
  /** Visible fields, if any (a passkey's name). */
  fields?: SafeHtml;
  button: string;
  /** Said (role=status) while the browser waits for the authenticator. */
  waiting: string;
  /** Shown where the script cannot run. */
  noScript: string;
  id?: string;
  /**
   * The names of the fields the script fills (default `response` and `failure`): a form that carries another
   * form's fields (the staff console's fresh-factor step) picks names those cannot have.
   */
  names?: { response: string; failure: string };
}

/** The form the script drives; without the script it posts empty and the route says why nothing happened. */
export function ceremonyForm(i: CeremonyFormInput): SafeHtml {
  return html`<form method="post" action="${i.action}" class="stack"${i.id ? html` id="${i.id}"` : ''} data-webauthn="${i.mode}" data-options="${JSON.stringify(i.options)}" data-waiting="${i.waiting}">
${i.hidden}<input type="hidden" name="${i.names?.response ?? 'response'}" value="" data-webauthn-response><input type="hidden" name="${i.names?.failure ?? 'failure'}" value="" data-webauthn-failure>
${i.fields ?? ''}
<p class="hint" role="status" data-webauthn-status></p>
<button type="submit">${i.button}</button>
<noscript><p class="notice">${i.noScript}</p></noscript>
</form>
<script src="${WEBAUTHN_SCRIPT_PATH}?v=${SCRIPT_VERSION}" defer></script>`;
}
