import { createServer, type Server } from 'node:http';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { freePort } from './net.ts';

/**
 * A real OpenID Connect provider (oidc-provider) on loopback, standing in for the company's identity provider:
 * discovery, the authorization endpoint with PKCE required, the token endpoint, signed ID tokens with the nonce.
 * The person who signs in at it is `idp.nextLogin` (the test says who); the login step is answered at once and
 * consent is given (a first-party client), so a sign-in is a chain of redirects a test follows with fetch.
 */
export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account that signs in at the provider next. */
  nextLogin: string;
  /** The provider's accounts: subject → claims. */
  accounts: Map<string, { email?: string; email_verified?: boolean; [claim: string]: unknown }>;
  /** Registers the client's redirect URI (the app's address is known only once it runs). */
  configure(redirectUri: string): void;
  stop(): Promise<void>;
}

export async function startTestIdp(): Promise<TestIdp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  let provider: Provider | null = null;
  let handler: ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) | null = null;
  const idp: TestIdp = {
    issuer,
    clientId: 'kinkyu-console',
    clientSecret: 'a test client secret that is long enough',
    nextLogin: '',
    accounts: new Map(),
    configure(redirectUri: string) {
      provider = new Provider(issuer, {
        clients: [{
          client_id: idp.clientId, client_secret: idp.clientSecret, redirect_uris: [redirectUri],
          grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
        }],
        pkce: { required: () => true, methods: ['S256'] },
        features: { devInteractions: { enabled: false } },
        claims: { openid: ['sub'], email: ['email', 'email_verified'] },
        cookies: { keys: ['a test cookie key for the provider'] },
        interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
        findAccount: async (_ctx: unknown, id: string) => {
          const claims = idp.accounts.get(id);
          return claims ? { accountId: id, claims: async () => ({ sub: id, ...claims }) } : undefined;
        },
        // A first-party client: consent is given without asking.
        async loadExistingGrant(ctx: KoaContextWithOIDC) {
          const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
          if (grantId) return ctx.oidc.provider.Grant.find(grantId);
          const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
          grant.addOIDCScope('openid email');
          await grant.save();
          return grant;
        },
      });
      handler = provider.callback();
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    if (!provider || !handler) {
      res.statusCode = 503;
      res.end();
      return;
    }
    if (req.url?.startsWith('/interaction/')) {
      // The person at the keyboard is `nextLogin`; they sign in.
      provider.interactionFinished(req, res, { login: { accountId: idp.nextLogin } }, { mergeWithLastSubmission: false }).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    handler(req, res);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return idp;
}
