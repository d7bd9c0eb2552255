// A gateway and a real OpenID Provider wired to each other for the SPEC §12 tests: the
// gateway listens on a port chosen first, so its publicUrl is its real address and the OP
// can register its callback; the gateway's clock starts at the real time, because the OP's
// tokens (iat, exp, auth_time) carry the real time. And the sign-in a browser would do,
// request by request, with one cookie jar per site.
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './gateway.js';
import { CookieJar, request, type Response } from './http.js';
import { freePort } from './net.js';
import { OP_CLIENT, signInAtOp, startOp, type StartOpOptions, type TestOp } from './op.js';

export const DASH = 'dashboard.acme.test';

/** The tenant's `corp` provider as a user would configure it, with `extra` YAML lines appended. */
export function corpProviderYaml(issuer: string, extra = ''): string {
  return [
    '- id: corp',
    '  displayName: Corp SSO',
    `  issuer: ${issuer}`,
    `  clientId: ${OP_CLIENT.id}`,
    `  clientSecret: ${OP_CLIENT.secret}`,
    '  roleMap: { corp-admins: admin }',
    ...extra
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => `  ${l}`),
  ].join('\n');
}

export interface OidcSetup {
  op: TestOp;
  /** The first gateway (the OP's back-channel target). */
  g: TestGateway;
  /** Every gateway started (one unless `instances` > 1). */
  gateways: TestGateway[];
  /** `http://127.0.0.1:PORT`: the gateway's publicUrl and real address. */
  publicUrl: string;
  /** `dashboard.acme.test:PORT`: the app host as a browser would send it. */
  appHost: string;
  stop(): Promise<void>;
}

export interface OidcSetupOptions {
  /** Extra YAML lines of the corp provider (allowedRoles, endSessionOnLogout…). */
  providerYaml?: string;
  gateway?: TestGatewayOptions;
  /** More gateway instances (they need a shared store: gateway.storeYaml). */
  instances?: number;
  op?: Partial<StartOpOptions>;
}

export async function startOidc(o: OidcSetupOptions = {}): Promise<OidcSetup> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const appOrigin = `http://${DASH}:${port}`;
  const op = await startOp({ gatewayOrigins: [publicUrl, appOrigin], ...o.op });
  const gateways: TestGateway[] = [];
  try {
    for (let i = 0; i < (o.instances ?? 1); i++) {
      gateways.push(
        await startTestGateway({
          publicUrl,
          clockStart: Date.now(),
          identityProviders: corpProviderYaml(op.issuer, o.providerYaml),
          ...o.gateway,
          // Only the first instance is the publicUrl's real address; the others share its store.
          ...(i === 0 ? { port } : {}),
        }),
      );
    }
  } catch (err) {
    await Promise.all(gateways.map((g) => g.stop()));
    await op.stop();
    throw err;
  }
  return {
    op,
    g: gateways[0]!,
    gateways,
    publicUrl,
    appHost: `${DASH}:${port}`,
    stop: async () => {
      await Promise.all(gateways.map((g) => g.stop()));
      await op.stop().catch(() => {});
    },
  };
}

export interface GatewaySignIn {
  /** The answer to the callback (302 to rd with the session cookie, or a refusal page). */
  res: Response;
  /** The gateway's cookies on the host the sign-in started from. */
  jar: CookieJar;
  opJar: CookieJar;
  /** The callback URL the OP redirected to (to replay it). */
  callback: URL;
  /** The start's answer (302 to the OP's authorization endpoint). */
  start: Response;
  /** The OP asked for the password. */
  sawLogin: boolean;
}

/**
 * A browser's sign-in: the provider button on `host` (default: the app host), the OP's
 * forms, then the callback sent to the gateway on the host the OP named in it.
 */
export async function oidcSignIn(
  s: Pick<OidcSetup, 'g' | 'appHost'>,
  login: string,
  o: {
    query?: Record<string, string>;
    host?: string;
    jar?: CookieJar;
    opJar?: CookieJar;
    gateway?: TestGateway;
    cancel?: boolean;
  } = {},
): Promise<GatewaySignIn> {
  const g = o.gateway ?? s.g;
  const host = o.host ?? s.appHost;
  const jar = o.jar ?? new CookieJar();
  const q = new URLSearchParams({ rd: `http://${s.appHost}/reports`, ...o.query });
  const start = await request(g.url, `/t/acme/login/corp?${q}`, {
    headers: { host, accept: 'text/html', cookie: jar.header() },
  });
  jar.take(start);
  if (start.status !== 302) throw new Error(`sign-in start: ${start.status} ${start.body.slice(0, 300)}`);
  const { callback, opJar, sawLogin } = await signInAtOp(String(start.headers.location), login, o.opJar, {
    cancel: o.cancel ?? false,
  });
  // The gateway's cookies are host-only: a callback on another host than the start arrives without them.
  const res = await callbackAt(g, callback, callback.host === host ? jar : new CookieJar());
  return { res, jar, opJar, callback, start, sawLogin };
}

/** Sends the OP's redirect to the gateway as the browser would: to the callback's own host, with the jar. */
export async function callbackAt(g: TestGateway, callback: URL, jar: CookieJar): Promise<Response> {
  const res = await request(g.url, callback.pathname + callback.search, {
    headers: { host: callback.host, accept: 'text/html', cookie: jar.header() },
  });
  jar.take(res);
  return res;
}
