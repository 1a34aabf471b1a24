import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually, startApp, type RunningApp } from './support/app.ts';
import { freePort } from './support/net.ts';
import { validateStatuspageWebhook } from './support/statuspage-schema.ts';
import { incidentWebhookPayload } from '../src/notify/channels/webhook-payload.ts';
import { sendWebhook } from '../src/notify/channels/webhook-delivery.ts';
import { SIGNATURE_HEADER } from '../src/notify/channels/webhook-signature.ts';
import { NODE_RECEIVER, PYTHON_RECEIVER } from '../src/notify/webhook-samples.ts';

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
const codeBlocks = (page: string) => [...page.matchAll(/<pre class="code-sample"[^>]*><code>([\s\S]*?)<\/code><\/pre>/g)].map((m) => unescape(m[1] ?? ''));

describe('/help/webhooks', () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp();
  });
  after(async () => app.stop());

  test('every webhook\'s meta.documentation resolves to the page, which explains the signature header', async () => {
    const snapshot = app.site.current();
    assert.ok(snapshot);
    const incident = snapshot.incidents[0] ?? snapshot.maintenances[0];
    assert.ok(incident, 'the demo page has an incident or a maintenance');
    const payload = incidentWebhookPayload(snapshot, incident.id, 'ja', { unsubscribeUrl: `${app.baseUrl}/x`, generatedAt: snapshot.loadedAt });
    assert.ok(payload);
    assert.equal(payload.meta.documentation, `${app.baseUrl}/help/webhooks`);
    const res = await fetch(payload.meta.documentation);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
    const page = await res.text();
    assert.match(page, /<html lang="ja">/);
    assert.ok(page.includes(SIGNATURE_HEADER), 'names the signature header');
    for (const words of ['署名の検証', 'Idempotency-Key', '応答と再送', '重複と順序', 'HMAC-SHA256', '30 秒以内に 2xx']) assert.ok(page.includes(words), words);
    assert.doesNotMatch(page, /<script/i, 'works without JavaScript');
  });

  test('in English too; the example bodies are valid Statuspage webhooks made by the real payload code', async () => {
    const page = await (await fetch(`${app.baseUrl}/help/webhooks?lang=en`)).text();
    assert.match(page, /<html lang="en">/);
    for (const words of ['Verifying the signature', 'Answers and retries', 'Duplicates and order', 'at least once', 'component_type']) assert.ok(page.includes(words), words);
    const json = codeBlocks(page).filter((b) => b.startsWith('{')).map((b) => JSON.parse(b) as Record<string, unknown>);
    assert.equal(json.length, 2, 'an incident example and a component example');
    for (const body of json) assert.deepEqual(validateStatuspageWebhook(body), []);
    assert.ok(json.some((b) => b['incident']) && json.some((b) => b['component_update']));
  });

  test('the subscribe form links to it', async () => {
    const form = await (await fetch(`${app.baseUrl}/subscribe?channel=webhook`)).text();
    assert.match(form, /href="\/help\/webhooks"/);
  });
});

// ---------- the documented receivers, run for real against signed deliveries ----------

function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`receiver exited with ${child.exitCode}`));
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error('receiver did not listen'));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

async function checkReceiver(command: string, file: string, source: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-receiver-'));
  const path = join(dir, file);
  writeFileSync(path, source);
  const port = await freePort();
  const secret = 'whsec_docs_test_0123456789';
  const child = spawn(command, [path], { env: { ...process.env, KINKYU_WEBHOOK_SECRET: secret, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  try {
    await waitForPort(port, child);
    const body = JSON.stringify({ meta: {}, page: {}, incident: { id: 'inc1', status: 'investigating', name: '出金の遅延' } });
    const request = { url: `http://127.0.0.1:${port}/hook`, body, secret, updateId: 'ev1', subscriberId: 'sub1' };
    const ok = await sendWebhook(request);
    assert.equal(ok.kind, 'delivered', `${file}: a genuine delivery is accepted (${JSON.stringify(ok)}; ${output})`);
    // A retry of the same delivery (same Idempotency-Key, fresh signature) is accepted and not handled twice.
    assert.equal((await sendWebhook(request)).kind, 'delivered');
    const wrongSecret = await sendWebhook({ ...request, secret: 'someone-else' });
    assert.ok(wrongSecret.kind === 'retry' && wrongSecret.status === 401, `${file}: another secret is refused`);
    const replayed = await sendWebhook({ ...request, now: () => new Date(Date.now() - 10 * 60_000) });
    assert.ok(replayed.kind === 'retry' && replayed.status === 401, `${file}: a signature ten minutes old is refused`);
    const twoSecrets = await sendWebhook({ ...request, updateId: 'ev2', secret: ['old-secret', secret] });
    assert.equal(twoSecrets.kind, 'delivered', `${file}: during a rotation either signature passes`);
    // Handled once per key: the first event and the rotation's, not the retry (the receiver's output may lag its answers).
    const handled = () => output.split('\n').filter((l) => /investigating/.test(l)).length;
    await eventually(async () => handled() >= 2, 5_000).catch(() => undefined);
    assert.equal(handled(), 2, `${file}: handled ${JSON.stringify(output)}`);
  } finally {
    child.kill();
  }
}

test('the Node.js receiver on the page verifies real deliveries and refuses forged or replayed ones', async () => {
  await checkReceiver(process.execPath, 'receiver.mjs', NODE_RECEIVER);
});

const python = spawnSync('python3', ['--version']).status === 0;
test('the Python receiver on the page does the same', { skip: python ? false : 'python3 is not installed' }, async () => {
  await checkReceiver('python3', 'receiver.py', PYTHON_RECEIVER);
});
