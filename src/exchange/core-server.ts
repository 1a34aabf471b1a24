import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isKinkyuError } from '../domain/errors.ts';
import type { LockEffects } from './adapter.ts';
import { CORE_API_PREFIX } from './http-adapter.ts';
import type { ReferenceAccountStore } from './reference-store.ts';
import { DEFAULT_REPLAY_WINDOW_MS, MIN_SECRET_LENGTH, NonceCache, verifySignedRequest } from './signing.ts';

export interface ReferenceCoreOptions {
  secret: string;
  /** Default ±30 s. */
  replayWindowMs?: number;
  /** Bound of the nonce memory. Default 100 000. */
  maxNonces?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Called for every refused signature (reason only, never the secret). */
  onRefused?: (reason: string, request: { method: string; url: string }) => void;
}

const CORE_BODY_LIMIT = 64 * 1024;
const MAX_LOCK_RESULTS = 10_000;
/** Ids per `accounts/emails` call (the adapter's `accountEmails` takes at most as many). */
const MAX_EMAIL_IDS = 500;

class BadInput extends Error {}

function str(body: Record<string, unknown>, field: string, max: number): string {
  const v = body[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new BadInput(field);
  return v;
}

function bool(body: Record<string, unknown>, field: string): boolean {
  const v = body[field];
  if (typeof v !== 'boolean') throw new BadInput(field);
  return v;
}

function limitOf(query: unknown): number {
  const raw = (query as { limit?: unknown })?.limit;
  if (raw === undefined) return 20;
  const n = typeof raw === 'string' && /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 1000)) throw new BadInput('limit');
  return n;
}

/**
 * The reference account store served as an exchange core, over the signed API the HTTP adapter speaks
 * (docs/exchange-adapter.md): for demos of the split deployment and for testing the adapter over real HTTP.
 * Every request must carry a valid signature, inside the replay window, with a nonce never seen before;
 * otherwise it is answered 401 before the store is touched. Everything is scoped to one encapsulated plugin:
 * the raw-body JSON parser here does not change how the rest of the application parses bodies.
 */
export function registerReferenceCore(app: FastifyInstance, store: ReferenceAccountStore, opts: ReferenceCoreOptions): void {
  if (!opts.secret || opts.secret.length < MIN_SECRET_LENGTH) throw new Error(`the reference core needs a secret of at least ${MIN_SECRET_LENGTH} characters`);
  const nonces = new NonceCache(opts.maxNonces ?? 100_000);
  const windowMs = opts.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
  // lockId → the first lock's effects: a retried lock answers what the first one did.
  const lockResults = new Map<string, LockEffects>();
  // The verified request's parsed JSON body.
  const bodies = new WeakMap<FastifyRequest, Record<string, unknown>>();

  app.register(async (scope) => {
    scope.removeContentTypeParser(['application/json']);
    // Keep the exact bytes: the signature covers them. Parsed only after the signature has been checked.
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: CORE_BODY_LIMIT }, (_req, body, done) => done(null, body));

    scope.setErrorHandler((err, request, reply) => {
      if (err instanceof BadInput) return reply.code(400).send({ code: 'VALIDATION', field: err.message });
      if (isKinkyuError(err)) return reply.code(err.httpStatus).send({ code: err.code, params: err.params });
      const status = (err as { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) return reply.code(status).send({ code: 'BAD_REQUEST' });
      request.log.error({ err }, 'reference core: unhandled error');
      return reply.code(500).send({ code: 'INTERNAL' });
    });

    scope.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const raw = request.body;
      if (raw !== undefined && typeof raw !== 'string') return reply.code(401).send({ code: 'UNAUTHENTICATED' });
      const body = raw ?? '';
      const verdict = verifySignedRequest(
        opts.secret,
        { method: request.method, path: request.url, body, headers: request.headers },
        { nonces, windowMs, ...(opts.now ? { now: opts.now } : {}) },
      );
      if (!verdict.ok) {
        opts.onRefused?.(verdict.reason, { method: request.method, url: request.url });
        return reply.code(401).send({ code: 'UNAUTHENTICATED' });
      }
      if (request.method === 'POST') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return reply.code(400).send({ code: 'MALFORMED_BODY' });
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return reply.code(400).send({ code: 'MALFORMED_BODY' });
        bodies.set(request, parsed as Record<string, unknown>);
      }
      return undefined;
    });

    const p = CORE_API_PREFIX;
    const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;
    const signedBodyOf = (request: FastifyRequest) => bodies.get(request) ?? {};

    scope.get(`${p}/accounts`, async (request) => {
      const q = request.query as { id?: unknown; email?: unknown };
      const id = typeof q.id === 'string' && q.id ? q.id : undefined;
      const email = typeof q.email === 'string' && q.email ? q.email : undefined;
      if (!id && !email) throw new BadInput('id');
      return { account: await store.findAccount(id ? { accountId: id } : { email: email! }) };
    });

    scope.post(`${p}/accounts/emails`, async (request) => {
      const ids = signedBodyOf(request).ids;
      if (!Array.isArray(ids) || ids.length > MAX_EMAIL_IDS || !ids.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 200)) throw new BadInput('ids');
      return { emails: Object.fromEntries(await store.accountEmails(ids as string[])) };
    });

    scope.post(`${p}/accounts/:id/lock`, async (request) => {
      const body = signedBodyOf(request);
      const lockId = str(body, 'lockId', 200);
      const reason = typeof body.reason === 'string' ? body.reason.slice(0, 2000) : '';
      const key = `${idOf(request)}\n${lockId}`;
      const earlier = lockResults.get(key);
      const effects = await store.lock(idOf(request), { lockId, reason });
      if (earlier) return earlier;
      lockResults.set(key, effects);
      for (const k of lockResults.keys()) {
        if (lockResults.size <= MAX_LOCK_RESULTS) break;
        lockResults.delete(k);
      }
      return effects;
    });

    scope.post(`${p}/accounts/:id/unlock`, async (request) => {
      await store.unlock(idOf(request), { lockId: str(signedBodyOf(request), 'lockId', 200) });
      return { ok: true };
    });

    scope.post(`${p}/accounts/:id/revoke-sessions`, async (request) => ({ count: await store.revokeSessions(idOf(request)) }));

    scope.post(`${p}/accounts/:id/revoke-api-keys`, async (request) => ({ count: await store.revokeApiKeys(idOf(request)) }));

    scope.post(`${p}/accounts/:id/restrictions`, async (request) => {
      const body = signedBodyOf(request);
      await store.setRestrictions(idOf(request), { trading: bool(body, 'trading'), withdrawals: bool(body, 'withdrawals') });
      return { ok: true };
    });

    scope.post(`${p}/accounts/:id/cancel-withdrawals`, async (request) => ({
      count: await store.cancelPendingWithdrawals(idOf(request), str(signedBodyOf(request), 'reason', 2000)),
    }));

    scope.post(`${p}/accounts/:id/hold-withdrawals`, async (request) => {
      const until = new Date(str(signedBodyOf(request), 'until', 40));
      if (Number.isNaN(until.getTime())) throw new BadInput('until');
      await store.holdWithdrawals(idOf(request), until);
      return { ok: true };
    });

    scope.get(`${p}/accounts/:id/sign-ins`, async (request) => ({ signIns: await store.recentSignIns(idOf(request), limitOf(request.query)) }));

    scope.get(`${p}/accounts/:id/withdrawals`, async (request) => ({ withdrawals: await store.recentWithdrawals(idOf(request), limitOf(request.query)) }));

    scope.get(`${p}/accounts/:id/withdrawal-addresses`, async (request) => ({ addresses: await store.listWithdrawalAddresses(idOf(request)) }));

    scope.get(`${p}/accounts/:id/withdrawal-addresses/registered`, async (request) => {
      const q = request.query as { asset?: unknown; address?: unknown };
      const asset = typeof q.asset === 'string' && q.asset && q.asset.length <= 20 ? q.asset : null;
      const address = typeof q.address === 'string' && q.address && q.address.length <= 200 ? q.address : null;
      if (!asset) throw new BadInput('asset');
      if (!address) throw new BadInput('address');
      return { registered: await store.hasWithdrawalAddress(idOf(request), { asset, address }) };
    });

    scope.post(`${p}/accounts/:id/withdrawal-addresses/remove`, async (request) => ({
      removed: await store.removeWithdrawalAddress(idOf(request), str(signedBodyOf(request), 'addressId', 200)),
    }));

    scope.get(`${p}/accounts/:id/api-keys`, async (request) => ({ apiKeys: await store.listApiKeys(idOf(request)) }));

    scope.post(`${p}/accounts/:id/api-keys/revoke`, async (request) => ({
      revoked: await store.revokeApiKey(idOf(request), str(signedBodyOf(request), 'keyId', 200)),
    }));

    scope.post(`${p}/accounts/:id/email/restore`, async (request, reply) => {
      const body = signedBodyOf(request);
      const email = str(body, 'email', 254);
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new BadInput('email');
      const reason = typeof body.reason === 'string' ? body.reason.slice(0, 2000) : '';
      try {
        return await store.restoreEmail(idOf(request), { email, reason });
      } catch (err) {
        if (isKinkyuError(err) && err.code === 'CONFLICT' && err.params.rule === 'email_taken') return reply.code(409).send({ code: 'EMAIL_TAKEN' });
        throw err;
      }
    });
  });
}
