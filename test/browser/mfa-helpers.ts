// Browser tests of second factors and passkeys (SPEC §13): a gateway whose WebAuthn RP ID
// (acme.test) covers both the gateway host and the app host, with a step-up route on the
// app; Chromium that treats those two plain-http origins as secure (WebAuthn needs a secure
// context), and the DevTools protocol's virtual authenticator standing in for a passkey.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { hashPassword } from '../../src/session/password.js';
import { launchBrowser, PASSWORDS, startDemoGateway, type BrowserGateway } from './helpers.js';

/** The app route that needs a second factor within the last ten minutes. */
export const STEP_UP_PATH = '/step-up/report';
export const GW_HOST = 'gw.acme.test';
export const APP_HOST = 'dashboard.acme.test';
const GEO_DB = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'geo', 'geo-test.mmdb');

/**
 * Chromium as launchBrowser (helpers.ts) starts it, plus the one flag WebAuthn needs here:
 * both plain-http origins of this gateway count as secure contexts, so the ceremonies run
 * on the real host names (and RP ID acme.test) instead of localhost.
 */
export function launchWebAuthnBrowser(port: number): Promise<Browser> {
  return launchBrowser([
    `--unsafely-treat-insecure-origin-as-secure=http://${GW_HOST}:${port},http://${APP_HOST}:${port}`,
  ]);
}

async function configYaml(port: number, upstream: string): Promise<string> {
  const alice = await hashPassword(PASSWORDS.alice, { ln: 10 });
  const bob = await hashPassword(PASSWORDS.bob, { ln: 10 });
  return `
server:
  listen: 127.0.0.1:${port}
  publicUrl: http://${GW_HOST}:${port}
  trustedProxies: [loopback]
  shutdownTimeout: 2s
geoip:
  file: ${GEO_DB}
tenants:
  acme:
    displayName: Acme Inc
    settings:
      loginThrottle: { maxFailures: 1000 }
      mfa: { totp: true, webauthn: true, passkeyLogin: true, rpId: acme.test }
    users:
      - { id: u-alice, username: alice, email: alice@acme.test, name: Alice Admin, roles: [admin], passwordHash: "${alice}" }
      - { id: u-bob, username: bob, email: bob@acme.test, name: Bob Builder, roles: [], passwordHash: "${bob}" }
    apps:
      - name: dashboard
        hosts: [${APP_HOST}]
        upstream: ${upstream}
        routes:
          - { path: /step-up/**, require: { mfa: true, freshAuth: 10m } }
          - { path: /**, require: authenticated }
`;
}

/** A gateway (demo app behind it) on `port`, with a manual clock and its logs captured. */
export function startMfaGateway(port: number): Promise<BrowserGateway> {
  return startDemoGateway({
    port,
    appHost: APP_HOST,
    source: 'browser-mfa-test.yaml',
    yaml: (upstream) => configYaml(port, upstream),
  });
}

/** A credential as the virtual authenticator reports it (WebAuthn.getCredentials). */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

export interface VirtualAuthenticator {
  cdp: CDPSession;
  id: string;
  credentials(): Promise<VirtualCredential[]>;
  add(c: VirtualCredential): Promise<void>;
  remove(credentialId: string): Promise<void>;
}

/**
 * A platform authenticator with user verification (a laptop's passkey) attached to `page`
 * through the DevTools protocol; it answers every ceremony of that page without a prompt.
 */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<VirtualAuthenticator> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId: id } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    id,
    credentials: async () =>
      (await cdp.send('WebAuthn.getCredentials', { authenticatorId: id })).credentials as VirtualCredential[],
    add: async (c) => {
      await cdp.send('WebAuthn.addCredential', { authenticatorId: id, credential: c });
    },
    remove: async (credentialId) => {
      await cdp.send('WebAuthn.removeCredential', { authenticatorId: id, credentialId });
    },
  };
}

/** The code an authenticator app shows at `nowMs` for the secret as the setup page prints it. */
export function totpCode(secretText: string, nowMs: number): string {
  const secret = Secret.fromBase32(secretText.replace(/\s+/g, ''));
  return new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: nowMs });
}

export interface SessionJson {
  id: string;
  authMethod: string;
  amr: string[];
  mfaVerified: boolean;
  mfaVerifiedAt: string | null;
  rememberMe: boolean;
}

/** The signed-in session as the gateway's JSON API tells it to this browser (null: 401). */
export async function sessionOf(context: BrowserContext, g: BrowserGateway): Promise<SessionJson | null> {
  const p = await context.newPage();
  try {
    const res = await p.goto(g.at('/t/acme/api/v1/session'));
    if (res?.status() === 401) return null;
    return ((await res!.json()) as { session: SessionJson }).session;
  } finally {
    await p.close();
  }
}

/** Signs out through the confirmation page; lands on the login page. */
export async function signOut(page: Page, g: BrowserGateway): Promise<void> {
  await page.goto(g.at('/t/acme/logout'));
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/t/acme/login'),
    page.getByRole('button', { name: 'Sign out' }).click(),
  ]);
}
