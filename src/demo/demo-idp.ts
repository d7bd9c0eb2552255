// The demo's own OpenID Provider for `npm start` (panva's oidc-provider, a certified OP):
// the second demo tenant signs its users in there, to show sign-in through a company IdP,
// back-channel logout and RP-initiated logout without installing Keycloak. Development
// only: oidc-provider is a devDependency, its built-in login pages accept any password,
// and its keys and sessions live in memory.
import type { Server } from 'node:http';

export interface DemoIdp {
  issuer: string;
  close(): Promise<void>;
}

/** The demo IdP's people: anyone may sign in; these get a name, an email and groups. */
const PEOPLE: Record<string, { name: string; email: string; groups: string[] }> = {
  carol: { name: 'Carol Admin', email: 'carol@idp.example.test', groups: ['demo-admins'] },
  dave: { name: 'Dave Developer', email: 'dave@idp.example.test', groups: ['developers'] },
};

export async function startDemoIdp(opts: {
  port: number;
  host: string;
  clientId: string;
  clientSecret: string;
  gatewayOrigins: readonly string[];
  slug: string;
  provider: string;
}): Promise<DemoIdp> {
  // A dynamic import: a production install (npm ci --omit=dev) has no oidc-provider and
  // never reaches here.
  const { default: Provider } = await import('oidc-provider');
  const issuer = `http://${opts.host}:${opts.port}`;
  const callbacks = opts.gatewayOrigins.map((o) => `${o}/t/${opts.slug}/oidc/${opts.provider}/callback`);
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uris: callbacks,
        post_logout_redirect_uris: opts.gatewayOrigins.map((o) => `${o}/t/${opts.slug}/login`),
        // An address, not `localhost`: that name may resolve to ::1 while the gateway listens on 127.0.0.1.
        backchannel_logout_uri: `${opts.gatewayOrigins.find((o) => /^http:\/\/127\./.test(o)) ?? opts.gatewayOrigins[0]}/t/${opts.slug}/oidc/${opts.provider}/backchannel-logout`,
        backchannel_logout_session_required: true,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email'], profile: ['name', 'preferred_username', 'groups'] },
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    async findAccount(_ctx, sub) {
      const person = PEOPLE[sub];
      return {
        accountId: sub,
        claims: () => ({
          sub,
          preferred_username: sub,
          name: person?.name ?? sub,
          email: person?.email ?? `${sub}@idp.example.test`,
          groups: person?.groups ?? [],
        }),
      };
    },
    // oidc-provider refuses loopback targets for back-channel calls (an SSRF guard: its own
    // undici dispatcher in init.dispatcher); the demo's gateway is on loopback, so this demo
    // OP calls exactly the gateway's origins without that dispatcher, and nothing else.
    fetch: (url: string | URL | Request, init?: RequestInit) => {
      const u = new URL(url instanceof Request ? url.url : url);
      if (!opts.gatewayOrigins.some((o) => new URL(o).host === u.host))
        return Promise.reject(new Error(`demo IdP: refusing ${u.host}`));
      const { dispatcher: _guard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return fetch(url, rest);
    },
  });
  provider.proxy = false;
  provider.on('backchannel.error', (_ctx: unknown, err: Error) =>
    console.error(`demo IdP: back-channel logout failed: ${err.message}`),
  );
  const server: Server = provider.listen(opts.port, opts.host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
