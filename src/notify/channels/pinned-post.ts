import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { isKinkyuError } from '../../domain/errors.ts';
import { assertPublicHost, classifyAddress, type EndpointPolicy, type Lookup } from '../subscriptions/endpoint-check.ts';

/**
 * A POST to a subscriber's URL that cannot be turned against our own network by DNS rebinding: the name is
 * resolved once, every address it gave is checked against the endpoint rules, and the socket connects to a checked
 * address (fetch would resolve the name again, and a TTL-0 record can answer 127.0.0.1 the second time).
 * TLS still verifies the certificate against the hostname. Redirects are never followed.
 */

export interface PinnedPostRequest {
  url: string | URL;
  headers: Record<string, string>;
  body: string;
  policy: EndpointPolicy;
  /** Covers resolution, connecting, TLS and the response headers (and the error body prefix). */
  timeoutMs?: number;
  /** Bytes of the response body kept for diagnostics. */
  bodyLimitBytes?: number;
  /** Extra trusted CA certificates (tests with a self-signed server). */
  ca?: string | Buffer;
}

export interface PinnedPostResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** At most `bodyLimitBytes` of a non-2xx body, decoded leniently; '' for 2xx (a delivery needs only the status). */
  bodyPrefix: string;
}

export type PinnedPostFailure = 'invalid_url' | 'refused_address' | 'unresolvable' | 'timeout' | 'tls' | 'network';

export class PinnedPostError extends Error {
  readonly failure: PinnedPostFailure;
  constructor(failure: PinnedPostFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PinnedPostError';
    this.failure = failure;
  }
}

const BODY_LIMIT_BYTES = 1024;
/** As Statuspage: the answer must arrive within 30 s. */
const DEFAULT_TIMEOUT_MS = 30_000;

const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The addresses to connect to for `host`, each allowed by the policy; throws a PinnedPostError otherwise. */
export async function resolveAllowed(host: string, policy: EndpointPolicy): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  const lookup = policy.lookup ?? systemLookup;
  let resolved: string[] | undefined;
  try {
    // The subscription rules (names such as *.internal, its own lookup timeout), keeping the answer for connecting.
    await assertPublicHost(bare, { ...policy, lookup: async (h) => (resolved = await lookup(h)) });
  } catch (error) {
    if (isKinkyuError(error) && error.params.rule === 'url_unresolvable') throw new PinnedPostError('unresolvable', `cannot resolve ${bare}`);
    throw new PinnedPostError('refused_address', `${bare} is or resolves to an address that is not allowed`);
  }
  // No lookup happened: an IP literal, or a local name (localhost) that the rules take as loopback.
  const addresses = resolved ?? (isIP(bare) !== 0 ? [bare] : ['127.0.0.1']);
  if (addresses.length === 0) throw new PinnedPostError('unresolvable', `cannot resolve ${bare}`);
  // Checked here as well, so that what the socket connects to is exactly what passed classifyAddress.
  for (const address of addresses) {
    const verdict = classifyAddress(address);
    if (verdict === 'forbidden' || (verdict === 'loopback' && !policy.allowLoopback)) {
      throw new PinnedPostError('refused_address', `${bare} resolves to an address that is not allowed`);
    }
  }
  return addresses;
}

/** A `lookup` for http.request that answers only the already checked addresses, whatever name it is asked. */
function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIP(address) }));
  return (_hostname, options, callback) => {
    const first = entries[0];
    if (!first) {
      callback(new PinnedPostError('unresolvable', 'no address'), '', 0);
      return;
    }
    if (typeof options === 'object' && options.all) {
      (callback as unknown as (err: null, addresses: typeof entries) => void)(null, entries);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

const TLS_ERROR = /^(?:CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)|^ERR_SSL/;

function classifySocketError(error: unknown): PinnedPostError {
  if (error instanceof PinnedPostError) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && TLS_ERROR.test(code)) return new PinnedPostError('tls', `TLS: ${message}`, { cause: error });
  return new PinnedPostError('network', message, { cause: error });
}

/** Sends one POST; returns the status, headers and a short body prefix, or throws a PinnedPostError. */
export async function pinnedPost(req: PinnedPostRequest): Promise<PinnedPostResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new PinnedPostError('invalid_url', 'not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PinnedPostError('invalid_url', 'only http and https are supported');
  if (url.username || url.password) throw new PinnedPostError('invalid_url', 'credentials in the URL are not supported');

  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await withDeadline(resolveAllowed(hostname, req.policy), deadline);
  const limit = req.bodyLimitBytes ?? BODY_LIMIT_BYTES;
  const body = Buffer.from(req.body, 'utf8');
  const secure = url.protocol === 'https:';

  return new Promise<PinnedPostResponse>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      request.destroy();
    };
    const options: https.RequestOptions = {
      method: 'POST',
      hostname,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers: { ...req.headers, 'content-length': String(body.byteLength) },
      // A fresh connection every time: a pooled socket would skip the address check.
      agent: false,
      lookup: pinnedLookup(addresses),
      ...(secure ? { servername: isIP(hostname) === 0 ? hostname : '', rejectUnauthorized: true, ...(req.ca ? { ca: req.ca } : {}) } : {}),
    };
    const request = (secure ? https : http).request(options, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const headers = res.headers;
      if (status >= 200 && status < 300) {
        finish(() => resolve({ status, headers, bodyPrefix: '' }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (): void => finish(() => resolve({ status, headers, bodyPrefix: decodePrefix(chunks, limit) }));
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.byteLength;
        if (size >= limit) done();
      });
      res.on('end', done);
      // A body that breaks off still leaves its status code to classify.
      res.on('error', done);
      res.on('close', done);
      bodyTimeout = done;
    });
    let bodyTimeout: (() => void) | null = null;
    const timer = setTimeout(() => {
      // Once the status is in, a slow error body only shortens the diagnostics.
      if (bodyTimeout) bodyTimeout();
      else finish(() => reject(new PinnedPostError('timeout', 'timed out')));
    }, Math.max(0, deadline - Date.now()));
    request.on('error', (error) => finish(() => reject(classifySocketError(error))));
    request.end(body);
  });
}

function decodePrefix(chunks: Buffer[], limit: number): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks).subarray(0, limit));
}

async function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PinnedPostError('timeout', 'timed out resolving the host')), Math.max(0, deadline - Date.now()));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
