// Browser tests: a real gateway (own YAML config, the built-in demo app as upstream) and
// Debian's Chromium driven by playwright-core. The browser reaches the gateway by the app's
// host name (`--host-resolver-rules` maps *.acme.test to 127.0.0.1) on the gateway's real
// port, which is also the port in publicUrl, so `rd` and Origin checks see what production sees.
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfigText } from '../../src/config/load.js';
import { createDemoApp } from '../../src/demo/demo-app.js';
import { hashPassword } from '../../src/session/password.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { ManualClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/log.js';
import { testKeys } from '../helpers/gateway.js';
import { freePort } from '../helpers/net.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
export const PASSWORDS = { alice: 'alice-password', bob: 'bob-password', other: 'other-password' } as const;

/** Realistic User-Agents, so the sessions pages show devices as users would see them. */
export const UA = {
  windowsChrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
  macSafari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  linuxFirefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
} as const;

/**
 * Where each of those devices appears to come from: the browser connects from loopback, a
 * trusted proxy, so the gateway takes the client address from X-Forwarded-For, and the
 * test GeoIP database (test/fixtures/geo) places these documentation ranges on the map.
 */
export const IP_OF: Readonly<Record<string, string>> = {
  [UA.windowsChrome]: '203.0.113.24', // Sydney, AU
  [UA.iphone]: '198.51.100.7', // Berlin, DE
  [UA.macSafari]: '192.0.2.10', // US, no city
  [UA.linuxFirefox]: '2001:db8::42', // Tokyo, JP
};
const GEO_DB = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'geo', 'geo-test.mmdb');

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/**
 * Fails (never skips) when Chromium is missing: `.ci/run` installs Debian's package.
 * `extraArgs`: more command-line flags (the WebAuthn test's secure-origin flag).
 */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. The browser tests need Debian's chromium package: run .ci/run (it installs it when missing) or apt-get install chromium.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
      '--host-resolver-rules=MAP *.acme.test 127.0.0.1',
      ...extraArgs,
    ],
  });
}

export function newContext(
  browser: Browser,
  opts: { userAgent?: string; phone?: boolean } = {},
): Promise<BrowserContext> {
  const userAgent = opts.userAgent ?? UA.windowsChrome;
  const ip = IP_OF[userAgent];
  return browser.newContext({
    ...(ip ? { extraHTTPHeaders: { 'x-forwarded-for': ip } } : {}),
    viewport: opts.phone ? PHONE : DESKTOP,
    ...(opts.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    userAgent,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
}

/** Full-page PNG at test/artifacts/<name>.png; returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The same page at a phone's width, then back to the desktop size. */
export async function screenshotPhone(page: Page, name: string): Promise<string> {
  const size = page.viewportSize() ?? DESKTOP;
  await page.setViewportSize(PHONE);
  const path = await screenshot(page, name);
  await page.setViewportSize(size);
  return path;
}

export interface BrowserGateway {
  port: number;
  gw: RunningGateway;
  clock: ManualClock;
  logs: string[];
  /** `http://dashboard.acme.test:PORT` — the app the users sign in to. */
  app: string;
  /** An absolute URL on the app host. */
  at(path: string): string;
  stop(): Promise<void>;
}

export interface BrowserGatewayOptions {
  /** YAML lines under tenants.acme.settings (each `key: value`). */
  settings?: string;
  /** Extra user list items (YAML flow mappings); `$HASH` is replaced by the hash of PASSWORDS.other. */
  extraUsers?: readonly string[];
  /** This many generated users (`user01`…), for paging. */
  fillerUsers?: number;
  /** Listen on this port (default: a free one), e.g. chosen before an IdP that must know the callback URL. */
  port?: number;
  /** YAML list items of tenants.acme.identityProviders (indented by the helper). */
  identityProviders?: string;
}

let hashes: Promise<Record<keyof typeof PASSWORDS, string>> | null = null;
function cheapHashes() {
  // ln=10: fast for tests; production hashes come from `hash-password`.
  hashes ??= (async () => ({
    alice: await hashPassword(PASSWORDS.alice, { ln: 10 }),
    bob: await hashPassword(PASSWORDS.bob, { ln: 10 }),
    other: await hashPassword(PASSWORDS.other, { ln: 10 }),
  }))();
  return hashes;
}

const FIRST = [
  'Ada',
  'Grace',
  'Linus',
  'Margaret',
  'Ken',
  'Barbara',
  'Dennis',
  'Frances',
  'Edsger',
  'Radia',
  'Tim',
  'Hedy',
  'Alan',
  'Katherine',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Thompson',
  'Liskov',
  'Ritchie',
  'Allen',
  'Dijkstra',
  'Perlman',
  'Berners-Lee',
  'Lamarr',
  'Turing',
  'Johnson',
];

async function configYaml(port: number, upstream: string, o: BrowserGatewayOptions): Promise<string> {
  const h = await cheapHashes();
  const filler = Array.from({ length: o.fillerUsers ?? 0 }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[(i * 5 + Math.floor(i / FIRST.length)) % LAST.length]!;
    return `{ id: u-${n}, username: ${first.toLowerCase()}.${last.toLowerCase()}${n}, email: ${first.toLowerCase()}${n}@acme.test, name: "${first} ${last}", passwordHash: "${h.other}" }`;
  });
  const users = [
    `{ id: u-alice, username: alice, email: alice@acme.test, name: Alice Admin, roles: [admin], passwordHash: "${h.alice}" }`,
    `{ id: u-bob, username: bob, email: bob@acme.test, name: Bob Builder, roles: [], passwordHash: "${h.bob}" }`,
    ...(o.extraUsers ?? []).map((u) => u.replace('$HASH', () => h.other)),
    ...filler,
  ];
  // Tests sign in many times from one address: a high throttle unless a test sets its own.
  const throttle = o.settings?.includes('loginThrottle') ? [] : ['loginThrottle: { maxFailures: 1000 }'];
  const settings = [...throttle, ...(o.settings ? o.settings.split('\n') : [])].filter((l) => l.trim());
  return `
server:
  listen: 127.0.0.1:${port}
  publicUrl: http://gw.acme.test:${port}
  trustedProxies: [loopback]
  shutdownTimeout: 2s
geoip:
  file: ${GEO_DB}
tenants:
  acme:
    displayName: Acme Inc
    settings:
${settings.map((l) => `      ${l}`).join('\n')}
${o.identityProviders ? `    identityProviders:\n${o.identityProviders.replace(/^/gm, '      ')}\n` : ''}    users:
${users.map((u) => `      - ${u}`).join('\n')}
    apps:
      - name: dashboard
        hosts: [dashboard.acme.test]
        upstream: ${upstream}
        routes:
          - { path: /public/**, allow: anonymous }
          - { path: /admin/**, require: { roles: [admin], freshAuth: 15m } }
          - { path: /**, require: authenticated }
`;
}

/**
 * A gateway as `npm start` runs it (the demo app behind it), on a free port, with a manual
 * clock starting now (so tests can let minutes pass) and its logs captured.
 */
export async function startBrowserGateway(o: BrowserGatewayOptions = {}): Promise<BrowserGateway> {
  const port = o.port ?? (await freePort());
  return startDemoGateway({
    port,
    appHost: 'dashboard.acme.test',
    source: 'browser-test.yaml',
    yaml: (upstream) => configYaml(port, upstream, o),
  });
}

/**
 * A gateway on `port` with the demo app behind it, from the YAML `yaml` writes for the demo
 * app's address: a manual clock starting now (whole minutes, so the pages' exact times read
 * cleanly) and the logs captured. `appHost` is the host `at(path)` addresses.
 */
export async function startDemoGateway(o: {
  port: number;
  appHost: string;
  source: string;
  yaml: (upstream: string) => Promise<string>;
}): Promise<BrowserGateway> {
  const demo = createDemoApp({ tenantSlug: 'acme' });
  await new Promise<void>((r) => demo.listen(0, '127.0.0.1', r));
  const upstream = `http://127.0.0.1:${(demo.address() as AddressInfo).port}`;
  const config = loadConfigText(await o.yaml(upstream), { source: o.source });
  const clock = new ManualClock(Math.floor(Date.now() / 60_000) * 60_000);
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const gw = await startGateway(config, {
    clock,
    log: createLogger({ level: 'info', destination }),
    keys: await testKeys(),
  });
  const app = `http://${o.appHost}:${o.port}`;
  return {
    port: o.port,
    gw,
    clock,
    logs,
    app,
    at: (path) => `${app}${path}`,
    stop: async () => {
      await gw.stop();
      demo.closeAllConnections();
      await new Promise<void>((r) => demo.close(() => r()));
    },
  };
}

/** Signs in through the login form (the page must show it); returns after the redirect. */
export async function signIn(
  page: Page,
  username: string,
  password: string,
  opts: { rememberMe?: boolean } = {},
): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  if (opts.rememberMe) await page.getByLabel('Remember me on this device').check();
  await Promise.all([
    page.waitForURL((u) => !u.pathname.endsWith('/login')),
    page.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
}

/** Opens `path` on the app host, signs in on the login page it leads to, and lands on `path`. */
export async function openSignedIn(
  page: Page,
  g: BrowserGateway,
  path: string,
  username: string,
  password: string,
): Promise<void> {
  await page.goto(g.at(path));
  await signIn(page, username, password);
}

/** The session id in a context's gateway cookie (`<id>.<secret>`). */
export async function sessionIdOf(context: BrowserContext): Promise<string> {
  const c = (await context.cookies()).find((k) => k.name === 'gk_acme');
  if (!c) throw new Error('no gk_acme cookie in this context');
  return c.value.split('.')[0]!;
}
