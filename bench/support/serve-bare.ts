/**
 * The baseline: a bare node:http server that answers every request with the same bytes and headers,
 * doing nothing else. The benchmark gives it exactly what kinkyu sent for a page, so the difference
 * between the two is the work kinkyu does per request and nothing about the size of the answer.
 *
 *   node --import tsx bench/support/serve-bare.ts --body FILE --headers FILE.json
 *
 * `--headers` is a JSON object of response headers (content-length is set from the body). Prints
 * {"event":"ready","baseUrl":...} on stdout once listening; exits when stdin closes or on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { exitWithParent } from './child-exit.ts';

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const value = i === -1 ? undefined : process.argv[i + 1];
  if (!value) throw new Error(`missing ${name}`);
  return value;
}

const body = readFileSync(arg('--body'));
const headers: Record<string, string> = {
  ...(JSON.parse(readFileSync(arg('--headers'), 'utf8')) as Record<string, string>),
  'content-length': String(body.length),
};

const server = createServer((req, res) => {
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ event: 'ready', baseUrl: `http://127.0.0.1:${port}`, pid: process.pid, bytes: body.length })}\n`);
});

exitWithParent(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
