// Starts a real gateway in-process for end-to-end tests: a YAML config like a user's,
// a real upstream, a manual clock, and captured log lines.
import { Writable } from 'node:stream';
import { loadConfigText } from '../../src/config/load.js';
import type { GatewayConfig } from '../../src/config/types.js';
import type { HashPool } from '../../src/session/hash-pool.js';
import { hashPassword } from '../../src/session/password.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { StoreUnavailableError, type SessionStore } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/log.js';
import { generateJwks, keySetFromJwks, type KeySet } from '../../src/tokens/keys.js';
import { startUpstream, type Upstream } from './upstream.js';

export const PASSWORDS = { alice: 'alice-password', bob: 'bob-password', eve: 'eve-password' } as const;
/** Client secrets of the confidential test clients. */
export const SECRETS = { billing: 'billing-secret', other: 'other-secret' } as const;

type Hashes = Record<keyof typeof PASSWORDS | 'billing' | 'other', string>;
let hashes: Promise<Hashes> | null = null;
function cheapHashes(): Promise<Hashes> {
  // ln=10: fast for tests; production hashes come from `hash-password` (ln=15).
  hashes ??= (async () => ({
    alice: await hashPassword(PASSWORDS.alice, { ln: 10 }),
    bob: await hashPassword(PASSWORDS.bob, { ln: 10 }),
    eve: await hashPassword(PASSWORDS.eve, { ln: 10 }),
    billing: await hashPassword(SECRETS.billing, { ln: 10 }),
    other: await hashPassword(SECRETS.other, { ln: 10 }),
  }))();
  return hashes;
}

let sharedKeys: Promise<KeySet> | null = null;
/** One signing key per test process, shared by every gateway it starts (as keys.file would be). */
export function testKeys(): Promise<KeySet> {
  sharedKeys ??= generateJwks('RS256').then((jwks) => keySetFromJwks(jwks, 'RS256', Date.now() / 1000));
  return sharedKeys;
}

export interface TestGateway {
  url: string;
  gw: RunningGateway;
  config: GatewayConfig;
  clock: ManualClock;
  upstream: Upstream;
  logs: string[];
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  publicUrl?: string;
  /** Extra YAML merged under tenants.acme.settings. */
  settings?: string;
  store?: SessionStore;
  storeYaml?: string;
  trustedProxies?: string;
  /** Listen on this port (default: any free one), e.g. to make publicUrl the real address. */
  port?: number;
  /** A separate ops listener (server.ops.listen), e.g. "127.0.0.1:0". */
  opsListen?: string;
  /** Every app's upstream (e.g. a raw-upstream recorder) instead of a new echo upstream. */
  upstreamUrl?: string;
  /** The bound on concurrent password/secret hash checks (default: sized for the machine). */
  hashPool?: HashPool;
  /** YAML list items of tenants.acme.identityProviders (indented by the helper), e.g. `- id: corp\n  issuer: …`. */
  identityProviders?: string;
  /** Where the manual clock starts (epoch ms; default 2026-11-26T12:00Z), e.g. Date.now() when an IdP's real clock is involved. */
  clockStart?: number;
}

export async function testConfigYaml(upstreamUrl: string, o: TestGatewayOptions = {}): Promise<string> {
  const h = await cheapHashes();
  // Tests log in many times from one address: a high throttle unless a test sets its own.
  const throttle = o.settings?.includes('loginThrottle') ? '' : 'loginThrottle: { maxFailures: 1000 }\n';
  const settings = (throttle + (o.settings ?? '')).replace(/^/gm, '      ');
  return `
server:
  listen: 127.0.0.1:${o.port ?? 0}
  publicUrl: ${o.publicUrl ?? 'http://gw.acme.test'}
  trustedProxies: ${o.trustedProxies ?? '[loopback]'}
  shutdownTimeout: 2s
${o.opsListen ? `  ops: { listen: "${o.opsListen}" }\n` : ''}${o.storeYaml ?? ''}
tenants:
  acme:
    displayName: Acme Inc
    settings:
      idleTimeout: 30m
${settings}
${o.identityProviders ? `    identityProviders:\n${o.identityProviders.replace(/^/gm, '      ')}\n` : ''}    users:
      - { id: u-alice, username: alice, email: alice@acme.test, name: Alice Admin, roles: [admin], passwordHash: "${h.alice}" }
      - { id: u-bob, username: bob, email: bob@acme.test, name: "Bob Builder", roles: [], passwordHash: "${h.bob}" }
    clients:
      - { id: web-spa, public: true, redirectUris: ["http://app.acme.test/callback"] }
      - { id: billing-service, secretHash: "${h.billing}", grants: [client_credentials], scopes: ["sessions:admin"] }
      - id: other-client
        secretHash: "${h.other}"
        grants: [authorization_code, refresh_token, client_credentials]
        redirectUris: ["http://other.acme.test/cb"]
      - { id: billing-api-client, secretHash: "${h.other}", grants: [client_credentials], audience: [billing-api] }
      - { id: resource-server, secretHash: "${h.other}", grants: [client_credentials], scopes: ["tokens:introspect"] }
    apps:
      - name: billing
        hosts: [billing.acme.test]
        upstream: ${upstreamUrl}
        audience: billing-api
      - name: dashboard
        hosts: [dashboard.acme.test, "*.dash.acme.test"]
        upstream: ${upstreamUrl}
        timeout: 1s
        routes:
          - { path: /healthz, allow: anonymous }
          - { path: /public/**, allow: anonymous }
          - { path: /billing/**, methods: [POST, PUT, PATCH, DELETE], require: { freshAuth: 5m } }
          - { path: /admin/**, require: { roles: [admin], freshAuth: 15m } }
          - { path: /secure/**, require: { mfa: true, freshAuth: 10m } }
          - { path: /mfa-any/**, require: { mfa: true } }
          - { path: /**, require: authenticated }
  globex:
    displayName: Globex
    users:
      - { id: u-alice, username: alice, email: alice@globex.test, name: Other Alice, roles: [], passwordHash: "${h.eve}" }
    apps:
      - name: portal
        hosts: [portal.globex.test]
        upstream: ${upstreamUrl}
`;
}

export async function startTestGateway(o: TestGatewayOptions = {}): Promise<TestGateway> {
  const upstream = await startUpstream();
  const config = loadConfigText(await testConfigYaml(o.upstreamUrl ?? upstream.url, o), { source: 'test.yaml' });
  const clock = new ManualClock(o.clockStart ?? Date.UTC(2026, 10, 26, 12));
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const log = createLogger({ level: 'debug', destination });
  const gw = await startGateway(config, {
    clock,
    log,
    keys: await testKeys(),
    ...(o.store ? { store: o.store } : {}),
    ...(o.hashPool ? { hashPool: o.hashPool } : {}),
  });
  return {
    url: gw.url,
    gw,
    config,
    clock,
    upstream,
    logs,
    stop: async () => {
      await gw.stop();
      await upstream.close();
    },
  };
}

/**
 * The store as an outage looks to the gateway: it says it is unreachable and every call
 * fails with StoreUnavailableError (the memory store cannot go down by itself).
 */
export function storeDown(real: SessionStore): SessionStore {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'canServeCached') return () => false;
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'subscribe' || prop === 'close') return value;
      return () => Promise.reject(new StoreUnavailableError(`test: store down (${String(prop)})`));
    },
  });
}
