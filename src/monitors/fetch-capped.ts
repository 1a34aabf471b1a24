/** The most of a response body a check reads; the rest is dropped unread. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface CappedResponse {
  status: number;
  /** Decoded as UTF-8 (invalid bytes replaced), at most `maxBytes` of it. */
  body: string;
  truncated: boolean;
  latencyMs: number;
}

export interface FetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes?: number;
}

/**
 * One request whose whole life — connect, headers and body — is bounded by `timeoutMs`, reading at most
 * `maxBytes`. Throws an Error whose message is fit for a check's detail.
 */
export async function fetchCapped(url: string, opts: FetchOptions): Promise<CappedResponse> {
  const maxBytes = opts.maxBytes ?? MAX_BODY_BYTES;
  const started = performance.now();
  const signal = AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await fetch(url, {
      method: opts.method ?? 'GET',
      headers: { 'user-agent': 'kinkyu-monitor', ...opts.headers },
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      redirect: 'manual',
      signal,
    });
    const chunks: Uint8Array[] = [];
    let size = 0;
    let truncated = false;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (size + value.byteLength > maxBytes) {
          chunks.push(value.subarray(0, maxBytes - size));
          size = maxBytes;
          truncated = true;
          await reader.cancel().catch(() => undefined);
          break;
        }
        chunks.push(value);
        size += value.byteLength;
      }
    }
    const body = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
    return { status: res.status, body, truncated, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const elapsed = Math.round(performance.now() - started);
    if (signal.aborted) throw new Error(`no complete answer within ${opts.timeoutMs} ms (timed out after ${elapsed} ms)`);
    throw new Error(`request failed: ${describeNetworkError(err)}`);
  }
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND, …) in `cause`. */
export function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
