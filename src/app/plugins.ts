import type { FastifyInstance } from 'fastify';
import type { Readiness } from '../ops/readiness.ts';
import { registerErrorHandling } from '../web/error-handler.ts';
import { registerStaffAuth } from '../staff/auth-plugin.ts';
import { staffMfa } from '../staff/mfa-routes.ts';
import { registerNotFoundPage } from '../status/page/routes.ts';
import { statusPlugin } from '../status/plugin.ts';
import { staffPlugin } from '../staff/plugin.ts';
import { auditPlugin } from '../audit/plugin.ts';
import { deskPlugin } from '../desk/plugin.ts';
import { helpPlugin } from '../help/plugin.ts';
import { noticesPlugin } from '../notices/plugin.ts';
import { protectionPlugin } from '../protection/plugin.ts';
import { notifyPlugin } from '../notify/plugin.ts';
import { monitorsPlugin } from '../monitors/plugin.ts';
import { demoMailboxPlugin } from '../demo-mailbox/plugin.ts';
import { opsPlugin } from '../ops/plugin.ts';
import { incidentRoomPlugin } from '../incident-room/index.ts';
import { incidentReviewPlugin } from '../incident-review/index.ts';
import { regulatorPlugin } from '../regulator/index.ts';
import { regulatoryDeadlinesSection } from '../regulator/home-section.ts';
import { drillsPlugin } from '../drills/index.ts';
import { registerReferenceCore } from '../exchange/core-server.ts';
import type { AppCore } from './services.ts';

export interface PluginInputs extends AppCore {
  cookieName: string;
  readiness: () => Promise<Readiness>;
}

/**
 * What every route must see, on the root and before any capability's plugin: the staff auth hook (and the
 * second-factor routes it gates with), the error handler, the 404 page, and the console's demo-mailbox link.
 * A plugin's context copies its parent's hooks when it loads, so these come first.
 */
export function registerShared(app: FastifyInstance, inputs: PluginInputs): void {
  const { config, db, clock, cookieName, site, services } = inputs;
  const mfa = staffMfa({ db, config, cookieName, clock, oidc: services.staffOidc });
  registerStaffAuth(app, { db, cookieName, publicUrl: config.publicUrl, factors: mfa.gate });
  mfa.register(app);
  registerErrorHandling(app);
  registerNotFoundPage(app, site);
  if (services.demoMailbox) app.decorate('kinkyuDemoMailbox', true);
}

/** Each capability as one encapsulated plugin, with the services it needs and nothing else. */
export function registerCapabilities(app: FastifyInstance, inputs: PluginInputs): void {
  const { config, db, clock, site, commands, monitors, cookieName } = inputs;
  const { calendar, knowledgeBase, linkKey, links, desk, accounts, lock, recovery, fanout, reviews, regulator, drills, staffOidc, incidentRoom } = inputs.services;
  const warn = (msg: string, err?: unknown) => app.log.warn({ err }, msg);
  // The reference store served as an exchange core (signed requests, its own body parser and error handler).
  if (config.serveReferenceCore) registerReferenceCore(app, inputs.services.referenceStore, { secret: config.exchangeCoreSecret ?? '' });
  void app.register(incidentReviewPlugin, { config, reviews, obligations: (id) => regulator.obligationsFor(id) });
  void app.register(regulatorPlugin, { db, config, regulator, reviews, clock });
  void app.register(drillsPlugin, { config, drills, snapshot: () => site.current(), clock });
  void app.register(staffPlugin, { db, config, cookieName, clock, oidcIssuer: staffOidc?.issuer ?? null });
  void app.register(statusPlugin, { db, config, site, commands, desk, deliveryProgress: (id) => fanout.progress(id) });
  void app.register(auditPlugin, { db, config });
  void app.register(incidentRoomPlugin, {
    db, config, commands, room: incidentRoom, calendar, clock, snapshot: () => site.current(), desk,
    openProposals: () => monitors.listProposals({ open: true }),
    homeSections: [regulatoryDeadlinesSection(db)],
  });
  void app.register(deskPlugin, { db, config, site, desk, links, calendar, clock, articles: knowledgeBase.search });
  if (inputs.services.demoMailbox) void app.register(demoMailboxPlugin, { db, config });
  void app.register(protectionPlugin, { db, config, accounts, lock, recovery, calendar, clock, log: warn });
  void app.register(helpPlugin, { config, site, calendar, clock, articles: knowledgeBase.search, knowledgeBase, feedbackKey: linkKey });
  void app.register(monitorsPlugin, { db, config, monitors, clock });
  void app.register(noticesPlugin, { db, config, site, accounts, clock });
  void app.register(notifyPlugin, { db, config, site, clock, linkKey });
  void app.register(opsPlugin, { readiness: inputs.readiness });
}
