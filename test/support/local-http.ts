/**
 * Small local HTTP servers for tests that point the application at an endpoint: a swappable handler, a hit
 * count, and a close that does not wait for kept-alive sockets. Also a stand-in for bitbank's public API.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface LocalServer {
  url: string;
  hits: number;
  handler: Handler;
  close(): Promise<void>;
}

export async function serve(handler: Handler): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  const local: LocalServer = { url: '', hits: 0, handler, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    local.hits++;
    local.handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  local.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  local.close = () => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return local;
}

export const json = (res: ServerResponse, body: unknown, status = 200) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

// ---- bitbank public API stand-in ----

export interface Exchange {
  statuses: Record<string, string>;
  flags: Record<string, Record<string, unknown>>;
  /** Replaces both answers: an error envelope, or raw text. */
  override: { status: number; body: string } | null;
}

export const ALL_PAIRS = ['btc_jpy', 'eth_jpy', 'xrp_jpy', 'ltc_jpy', 'bcc_jpy', 'mona_jpy', 'xlm_jpy', 'eth_btc', 'xrp_btc', 'ltc_btc'];
export const normalExchange = (): Exchange => ({ statuses: Object.fromEntries(ALL_PAIRS.map((p) => [p, 'NORMAL'])), flags: {}, override: null });

export function bitbankStandIn(exchange: Exchange): Handler {
  return (req, res) => {
    if (exchange.override) {
      res.writeHead(exchange.override.status, { 'content-type': 'application/json' });
      return res.end(exchange.override.body);
    }
    if (req.url === '/v1/spot/status') {
      return json(res, {
        success: 1,
        data: { statuses: Object.entries(exchange.statuses).map(([pair, status]) => ({ pair, status, min_amount: '0.0001' })) },
      });
    }
    if (req.url === '/v1/spot/pairs') {
      return json(res, {
        success: 1,
        data: {
          pairs: Object.keys(exchange.statuses).map((name) => ({
            name, base_asset: name.split('_')[0], quote_asset: name.split('_')[1], is_enabled: true,
            stop_order: false, stop_order_and_cancel: false, stop_market_order: false, stop_stop_order: false,
            stop_stop_limit_order: false, stop_margin_long_order: false, stop_margin_short_order: false,
            stop_buy_order: false, stop_sell_order: false, ...exchange.flags[name],
          })),
        },
      });
    }
    res.writeHead(404).end();
  };
}
