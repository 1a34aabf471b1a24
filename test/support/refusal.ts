import assert from 'node:assert/strict';

export interface ExpectedRefusal {
  status: number;
  /** The JSON error code; when given, the body must be {code, message, requestId}. */
  code?: string;
  /** Matched against the JSON message, or against the page when no code is expected. */
  message?: RegExp;
}

/**
 * Sends a request that must be refused, and checks the refusal is clear and that `observe` — a rendering of
 * everything the request could have changed — is the same afterwards.
 */
export async function assertRefusedWithoutChange(
  observe: () => Promise<string>,
  send: () => Promise<Response>,
  expect: ExpectedRefusal,
): Promise<void> {
  const before = await observe();
  const res = await send();
  const text = await res.text();
  assert.equal(res.status, expect.status, text.slice(0, 500));
  if (expect.code) {
    const body = JSON.parse(text) as { code: string; message: string; requestId: string };
    assert.equal(body.code, expect.code);
    assert.ok(body.message.length > 0 && body.requestId, 'a clear message and a request id');
    if (expect.message) assert.match(body.message, expect.message);
  } else if (expect.message) {
    assert.match(text, expect.message);
  }
  assert.equal(await observe(), before, 'a refused request changes nothing');
}
