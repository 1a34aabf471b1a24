import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

import { pinnedPost, PinnedPostError } from '../src/notify/channels/pinned-post.ts';
import { sendWebhook } from '../src/notify/channels/webhook-delivery.ts';
import { sendSlack } from '../src/notify/channels/slack.ts';
import { assertPublicHost, type EndpointPolicy, type Lookup } from '../src/notify/subscriptions/endpoint-check.ts';

interface Received {
  host: string | undefined;
  body: string;
  servername?: string | false | null;
}

/** A local receiver that records what reached it and answers with `respond`. */
async function receiver(respond: (req: IncomingMessage, res: ServerResponse) => void = (_q, s) => s.end('ok'), server: Server = createServer()) {
  const got: Received[] = [];
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      got.push({ host: req.headers.host, body, servername: (req.socket as TLSSocket).servername });
      respond(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    got,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

/** A name server that answers `answers` in turn (the last one from then on), counting the questions. */
function scriptedLookup(...answers: string[][]): Lookup & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (host: string): Promise<string[]> => {
    calls.push(host);
    return answers[Math.min(calls.length - 1, answers.length - 1)] ?? [];
  };
  return Object.assign(lookup, { calls });
}

const PUBLIC = '93.184.215.14';

async function refusal(work: Promise<unknown>): Promise<PinnedPostError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof PinnedPostError, `expected a PinnedPostError, got ${String(error)}`);
    return error;
  }
  assert.fail('the request was expected to fail');
}

test('DNS rebinding: a name public at the check and 127.0.0.1 at send time is refused; nothing reaches the local receiver', async () => {
  const r = await receiver();
  try {
    const lookup = scriptedLookup([PUBLIC], ['127.0.0.1']);
    const policy: EndpointPolicy = { allowLoopback: false, lookup };
    const url = `http://rebind.example:${r.port}/hook`;
    // The subscription-time (or pre-send) check sees the public address and passes.
    await assertPublicHost('rebind.example', policy);
    const error = await refusal(pinnedPost({ url, headers: {}, body: '{}', policy }));
    assert.equal(error.failure, 'refused_address');
    // The webhook delivery counts it as a dead endpoint (disabled at once), not as a network hiccup.
    const outcome = await sendWebhook({ url, body: '{}', secret: 's', updateId: 'u', subscriberId: 'sub', endpointPolicy: policy });
    assert.ok(outcome.kind === 'retry' && outcome.gone && outcome.permanent, JSON.stringify(outcome));
    const slack = await sendSlack(`http://rebind.example:${r.port}/services/a/b`, { text: 'hi', blocks: [] }, { endpointPolicy: policy });
    assert.ok(slack.kind === 'retry' && slack.gone, JSON.stringify(slack));
    assert.equal(r.got.length, 0, 'no request reached the loopback receiver');
    assert.deepEqual(lookup.calls, ['rebind.example', 'rebind.example', 'rebind.example', 'rebind.example']);
  } finally {
    await r.close();
  }
});

test('one forbidden address among several refuses the connection, loopback allowed or not', async () => {
  const r = await receiver();
  try {
    for (const [answer, allowLoopback] of [
      [[PUBLIC, '127.0.0.1'], false],
      [['127.0.0.1', '169.254.169.254'], true],
      [['::ffff:10.0.0.1'], true],
      [['127.0.0.1', '192.168.1.10'], true],
    ] as const) {
      const policy: EndpointPolicy = { allowLoopback, lookup: scriptedLookup([...answer]) };
      const error = await refusal(pinnedPost({ url: `http://mixed.example:${r.port}/`, headers: {}, body: 'x', policy }));
      assert.equal(error.failure, 'refused_address', answer.join(','));
    }
    // Literal addresses and local names follow the same rules without any lookup.
    const noLookup: EndpointPolicy = { allowLoopback: false, lookup: scriptedLookup() };
    assert.equal((await refusal(pinnedPost({ url: `http://127.0.0.1:${r.port}/`, headers: {}, body: 'x', policy: noLookup }))).failure, 'refused_address');
    assert.equal((await refusal(pinnedPost({ url: `http://localhost:${r.port}/`, headers: {}, body: 'x', policy: noLookup }))).failure, 'refused_address');
    assert.equal((await refusal(pinnedPost({ url: 'http://169.254.169.254/latest/meta-data/', headers: {}, body: 'x', policy: { allowLoopback: true } }))).failure, 'refused_address');
    assert.equal(r.got.length, 0);
  } finally {
    await r.close();
  }
});

test('a name that does not resolve is a retryable network failure, not a refusal', async () => {
  const policy: EndpointPolicy = { allowLoopback: false, lookup: async () => { throw new Error('ENOTFOUND'); } };
  assert.equal((await refusal(pinnedPost({ url: 'https://gone.example/', headers: {}, body: 'x', policy }))).failure, 'unresolvable');
  const outcome = await sendWebhook({ url: 'https://gone.example/', body: '{}', secret: 's', updateId: 'u', subscriberId: 'sub', endpointPolicy: policy });
  assert.ok(outcome.kind === 'retry' && !outcome.permanent && !outcome.gone && outcome.reason === 'network', JSON.stringify(outcome));
});

test('with loopback allowed, the request goes to the resolved address while keeping the name in Host', async () => {
  const r = await receiver((_q, s) => s.writeHead(202).end('accepted'));
  try {
    const lookup = scriptedLookup(['127.0.0.1']);
    // .example never resolves in real DNS: only the pinned answer can have reached the receiver.
    const res = await pinnedPost({
      url: `http://hooks.kinkyu-test.example:${r.port}/in?x=1`, headers: { 'content-type': 'application/json' }, body: '{"a":"日本"}',
      policy: { allowLoopback: true, lookup },
    });
    assert.equal(res.status, 202);
    assert.equal(res.bodyPrefix, '');
    assert.deepEqual(lookup.calls, ['hooks.kinkyu-test.example']);
    assert.equal(r.got.length, 1);
    assert.equal(r.got[0]?.host, `hooks.kinkyu-test.example:${r.port}`);
    assert.equal(r.got[0]?.body, '{"a":"日本"}');
    const delivered = await sendWebhook({
      url: `http://hooks.kinkyu-test.example:${r.port}/in`, body: '{}', secret: 's', updateId: 'u', subscriberId: 'sub',
      endpointPolicy: { allowLoopback: true, lookup },
    });
    assert.deepEqual(delivered, { kind: 'delivered', status: 202 });
  } finally {
    await r.close();
  }
});

test('3xx is returned as is and not followed', async () => {
  const target = await receiver();
  const r = await receiver((_q, s) => s.writeHead(302, { location: `http://127.0.0.1:${target.port}/stolen` }).end('moved'));
  try {
    const policy: EndpointPolicy = { allowLoopback: true };
    const res = await pinnedPost({ url: `http://127.0.0.1:${r.port}/hook`, headers: {}, body: 'signed', policy });
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, `http://127.0.0.1:${target.port}/stolen`);
    assert.equal(res.bodyPrefix, 'moved');
    const outcome = await sendWebhook({ url: `http://127.0.0.1:${r.port}/hook`, body: '{}', secret: 's', updateId: 'u', subscriberId: 'sub', endpointPolicy: policy });
    assert.ok(outcome.kind === 'retry' && outcome.reason === 'redirect' && outcome.permanent, JSON.stringify(outcome));
    assert.equal(r.got.length, 2);
    assert.equal(target.got.length, 0, 'the redirect target was never called');
  } finally {
    await r.close();
    await target.close();
  }
});

test('an error body is read only up to 1 KB; Retry-After is kept', async () => {
  const r = await receiver((_q, s) => {
    s.writeHead(503, { 'retry-after': '120' });
    s.write('e'.repeat(64 * 1024));
    // Never ends: the client must stop on its own once it has its prefix.
  });
  try {
    const res = await pinnedPost({ url: `http://127.0.0.1:${r.port}/`, headers: {}, body: '', policy: { allowLoopback: true }, timeoutMs: 5000 });
    assert.equal(res.status, 503);
    assert.equal(res.bodyPrefix, 'e'.repeat(1024));
    const outcome = await sendWebhook({ url: `http://127.0.0.1:${r.port}/`, body: '{}', secret: 's', updateId: 'u', subscriberId: 'sub', endpointPolicy: { allowLoopback: true } });
    assert.ok(outcome.kind === 'retry' && outcome.reason === 'server_error' && outcome.retryAfterMs === 120_000, JSON.stringify(outcome));
    assert.ok(outcome.detail.length <= 200);
  } finally {
    await r.close();
  }
});

test('a server that accepts and never answers times out', async () => {
  const r = await receiver(() => undefined);
  try {
    const error = await refusal(pinnedPost({ url: `http://127.0.0.1:${r.port}/`, headers: {}, body: 'x', policy: { allowLoopback: true }, timeoutMs: 300 }));
    assert.equal(error.failure, 'timeout');
    const outcome = await sendWebhook({ url: `http://127.0.0.1:${r.port}/`, body: '{}', secret: 's', updateId: 'u', subscriberId: 'sub', timeoutMs: 300, endpointPolicy: { allowLoopback: true } });
    assert.ok(outcome.kind === 'retry' && outcome.reason === 'timeout' && !outcome.permanent, JSON.stringify(outcome));
    // A name server that never answers is covered by the same deadline.
    const stuck: EndpointPolicy = { allowLoopback: true, timeoutMs: 1000, lookup: () => new Promise<string[]>(() => undefined) };
    assert.equal((await refusal(pinnedPost({ url: 'https://slow-dns.example/', headers: {}, body: 'x', policy: stuck, timeoutMs: 300 }))).failure, 'timeout');
  } finally {
    await r.close();
  }
});

function selfSignedCert(dir: string, name: string): { key: string; cert: string } {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

test('https: the certificate is checked against the URL name (SNI too); a self-signed one only with its CA', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pinned-post-'));
  let tls: { key: string; cert: string };
  try {
    tls = selfSignedCert(dir, 'hooks.kinkyu-test.example');
  } catch {
    rmSync(dir, { recursive: true, force: true });
    t.skip('openssl is not available to make a test certificate');
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  const r = await receiver(undefined, createHttpsServer({ key: tls.key, cert: tls.cert }) as unknown as Server);
  try {
    const policy: EndpointPolicy = { allowLoopback: true, lookup: scriptedLookup(['127.0.0.1']) };
    const url = `https://hooks.kinkyu-test.example:${r.port}/hook`;
    const untrusted = await refusal(pinnedPost({ url, headers: {}, body: 'x', policy }));
    assert.equal(untrusted.failure, 'tls', untrusted.message);
    const outcome = await sendWebhook({ url, body: '{}', secret: 's', updateId: 'u', subscriberId: 'sub', endpointPolicy: policy });
    assert.ok(outcome.kind === 'retry' && outcome.reason === 'network' && !outcome.gone, JSON.stringify(outcome));
    assert.equal(r.got.length, 0, 'nothing was sent over an unverified connection');

    // Trusted CA, but the URL names another host: still refused.
    const otherName = await refusal(pinnedPost({ url: `https://other.example:${r.port}/hook`, headers: {}, body: 'x', policy, ca: tls.cert }));
    assert.equal(otherName.failure, 'tls', otherName.message);
    assert.equal(r.got.length, 0);

    const res = await pinnedPost({ url, headers: {}, body: 'secret body', policy, ca: tls.cert });
    assert.equal(res.status, 200);
    assert.equal(r.got.length, 1);
    assert.equal(r.got[0]?.servername, 'hooks.kinkyu-test.example');
    assert.equal(r.got[0]?.body, 'secret body');
  } finally {
    await r.close();
  }
});
