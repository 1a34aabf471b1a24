/** The staff home (/staff): "what needs me now", section by section, and the console's overview below. */
import type { FastifyInstance } from 'fastify';
import { listComponents, listIncidentsForPage } from '../status/repository.ts';
import { wantsJson } from '../web/wants-json.ts';
import { sendPage } from '../console/form-action.ts';
import { overviewSections } from '../status/console-views.ts';
import { orderSections } from './home.ts';
import { builtinSections } from './home-sections.ts';
import { homePage } from './home-views.ts';
import { RoomSchemas } from './schemas.ts';
import type { RoomRouteKit } from './route-kit.ts';

export function registerHomeRoutes(app: FastifyInstance, kit: RoomRouteKit): void {
  const { db, room, clock } = kit.opts;
  const sections = orderSections([
    ...builtinSections({ db, room, calendar: kit.opts.calendar, ...(kit.opts.openProposals ? { openProposals: kit.opts.openProposals } : {}) }),
    // SLOT regulatory-deadlines: filled by the regulator's clock through `homeSections` (see home.ts).
    ...(kit.opts.homeSections ?? []),
  ]);

  app.get('/staff', { schema: RoomSchemas.home, config: { permission: 'console.view' } }, async (request, reply) => {
    const c = kit.ctx(request, reply);
    const now = clock();
    const [loaded, incidents, components] = await Promise.all([
      Promise.all(sections.map(async (s) => ({ id: s.id, view: await s.load(c, now) }))),
      listIncidentsForPage(db, { recentLimit: 10 }),
      listComponents(db),
    ]);
    const shown = loaded.flatMap((s) => (s.view ? [{ id: s.id, view: s.view }] : []));
    if (wantsJson(request)) {
      return reply.send({ now: now.toISOString(), sections: shown.map((s) => ({ id: s.id, title: s.view.title, count: s.view.count, urgent: s.view.urgent ?? false })) });
    }
    return sendPage(reply, homePage(c, { now, sections: shown, overview: overviewSections(c, { incidents, components }) }));
  });
}
