import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/net.ts';
import { StaffClient } from './support/app.ts';
import { startKinkyuProcess } from './support/server-process.ts';

const ADMIN = { email: 'admin@example.jp', password: 'durable password 123' };

const startKinkyu = (env: NodeJS.ProcessEnv) => startKinkyuProcess(env, { demo: true });

test('every incident the console acknowledged survives kill -9 of the embedded-database server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-kill9-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...process.env, DATA_DIR: join(dir, 'data'), DATABASE_URL: '', PORT: String(port), PUBLIC_URL: base, LOG_LEVEL: 'warn', KINKYU_ADMIN_EMAIL: ADMIN.email, KINKYU_ADMIN_PASSWORD: ADMIN.password };
  let child = await startKinkyu(env);
  try {
    // The first admin signs in as every member does: password, then the enrolment of an authenticator app.
    const { cookie, csrfToken } = await StaffClient.signIn(base, ADMIN.email, ADMIN.password);
    const acknowledged: string[] = [];
    const burst = Array.from({ length: 100 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 4));
      const res = await fetch(`${base}/staff/incidents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify({ type: 'outage', severity: 'SEV3', nameJa: `障害 ${i}`, bodyJa: `記録 ${i}` }),
      }).catch(() => null);
      if (res?.status === 200) acknowledged.push(((await res.json()) as { incidentId: string }).incidentId);
    });
    setTimeout(() => child.kill('SIGKILL'), 200);
    await Promise.all(burst);
    console.log(`# ${acknowledged.length} incidents acknowledged before SIGKILL`);
    assert.ok(acknowledged.length > 0, 'some requests were acknowledged before the kill');

    child = await startKinkyu(env);
    const missing: string[] = [];
    for (const id of acknowledged) {
      const res = await fetch(`${base}/incidents/${id}`);
      if (res.status !== 200) missing.push(id);
    }
    assert.deepEqual(missing, [], 'an acknowledged incident is never lost');
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
