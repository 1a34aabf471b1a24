import type { Config } from '../../config.ts';
import { mailDomain } from '../../mail/outbox.ts';
import type { Db } from '../../store/db.ts';
import { newId } from '../../store/ids.ts';
import type { ChannelSender } from '../fanout/types.ts';
import type { SubscriberLinks } from '../subscriptions/links.ts';
import { EndpointHealth } from './endpoint-health.ts';
import { slackSender } from './slack.ts';
import { webhookSender } from './webhook.ts';
import { ensureXSubscriber, xSender } from './x.ts';

export interface ChannelSendersDeps {
  db: Db;
  config: Config;
  links: SubscriberLinks;
  log: (msg: string, err?: unknown) => void;
  clock: () => Date;
}

/**
 * The webhook, Slack and (with credentials) X senders for the fan-out. With credentials, also makes sure the
 * single X subscriber row exists; a process without them leaves it alone (X deliveries wait for one that has them).
 */
// Signature and OAuth timestamps are the wall clock whatever the app's clock: receivers compare them with theirs.
export async function channelSendersFromConfig(deps: ChannelSendersDeps): Promise<ChannelSender[]> {
  const { db, config } = deps;
  const health = new EndpointHealth({
    db,
    mailDomain: mailDomain(config.mailFrom),
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    subscribeUrl: `${config.publicUrl}/subscribe`,
    clock: deps.clock,
    log: deps.log,
  });
  const endpointPolicy = { allowLoopback: config.subscriptions.allowLocalWebhooks };
  const senders: ChannelSender[] = [webhookSender({ links: deps.links, health, endpointPolicy }), slackSender({ health, endpointPolicy })];
  const credentials = config.x.credentials;
  await ensureXSubscriber(db, { configured: credentials !== undefined, lang: config.x.lang ?? config.defaultLang, id: newId(), now: deps.clock() });
  if (credentials) senders.push(xSender({ db, credentials, baseUrl: config.x.apiUrl }));
  return senders;
}
