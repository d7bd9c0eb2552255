// What a unit test of one pipeline step or authenticator hands it: a real registry from the
// e2e tests' YAML, the real in-memory store, a manual clock, captured log and audit lines,
// and the real caches and bus — a plain object, not a running gateway. Each step reads only
// its slice of it; `scopeFor` builds the scope the steps before it would have left.
import { Writable } from 'node:stream';
import { AuditLog } from '../../src/audit.js';
import { loadConfigText } from '../../src/config/load.js';
import type { ProxyDeps } from '../../src/pipeline/index.js';
import type { RunDeps } from '../../src/pipeline/run.js';
import type { PipelineInput, Scope } from '../../src/pipeline/scope.js';
import { buildRegistry, type Registry, type TenantRuntime } from '../../src/registry.js';
import { RevocationBus } from '../../src/revocation/bus.js';
import { RevocationCache } from '../../src/revocation/cache.js';
import { formatCookieValue } from '../../src/session/cookie.js';
import { hashSecret, newSecret, newSessionId } from '../../src/session/ids.js';
import { SessionReadCache } from '../../src/session/read-cache.js';
import { createStore } from '../../src/store/index.js';
import type { SessionRecord, SessionStore } from '../../src/store/types.js';
import { issueAccessToken, type AccessTokenClaims, type IssueInput } from '../../src/tokens/access-token.js';
import { VerifiedTokenCache } from '../../src/tokens/token-cache.js';
import { ManualClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/log.js';
import { createMetrics } from '../../src/util/metrics.js';
import { testConfigYaml, testKeys } from './gateway.js';

export const MIN = 60_000;

export type StepDeps = ProxyDeps & RunDeps & { store: SessionStore; clock: ManualClock };

export interface StepFixture {
  deps: StepDeps;
  registry: Registry;
  acme: TenantRuntime;
  globex: TenantRuntime;
  /** Every log line written so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** The audit events written so far, in order. */
  audits(): Array<Record<string, unknown>>;
  /** The first log line (written already or later) that `match` accepts. */
  logged(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** `settings`: extra YAML under tenants.acme.settings (as in startTestGateway). */
export async function stepFixture(
  t: { teardown(fn: () => unknown): void },
  o: { settings?: string } = {},
): Promise<StepFixture> {
  const config = loadConfigText(await testConfigYaml('http://127.0.0.1:9', o), { source: 'test.yaml' });
  const registry = buildRegistry(config);
  const clock = new ManualClock(Date.UTC(2026, 10, 26, 12));
  const logs: Array<Record<string, unknown>> = [];
  const waiting = new Set<(line: Record<string, unknown>) => void>();
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const text of chunk.toString().split('\n')) {
          if (!text) continue;
          const line = JSON.parse(text) as Record<string, unknown>;
          logs.push(line);
          for (const w of [...waiting]) w(line);
        }
        done();
      },
    }),
  });
  const logged = (match: (line: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const seen = logs.find(match);
      if (seen) return resolve(seen);
      const w = (line: Record<string, unknown>) => {
        if (!match(line)) return;
        waiting.delete(w);
        resolve(line);
      };
      waiting.add(w);
    });
  const store = createStore({ redis: null, keyPrefix: 'gk:' }, { clock, log });
  t.teardown(() => store.close());
  const revocations = new RevocationCache();
  const readCache = new SessionReadCache(clock);
  const bus = new RevocationBus(store, revocations, log, () => clock.now());
  // As buildDeps wires it: a revocation drops the cached copy at once.
  bus.listen({ onRevoked: (_kind, id) => readCache.forget(id), onSessionChanged: (id) => readCache.forget(id) });
  const deps: StepDeps = {
    registry,
    store,
    clock,
    log,
    audit: new AuditLog(log),
    metrics: createMetrics(),
    revocations,
    bus,
    keys: await testKeys(),
    tokenCache: new VerifiedTokenCache(),
    readCache,
  };
  return {
    deps,
    registry,
    acme: registry.tenants.get('acme')!,
    globex: registry.tenants.get('globex')!,
    logs,
    audits: () => logs.filter((l) => typeof l.audit === 'string'),
    logged,
  };
}

export interface SavedSession {
  session: SessionRecord;
  /** The cookie value the browser holds: `<id>.<secret>`. */
  cookie: string;
  secret: string;
}

/** A browser session saved in the store as a password login would save it. */
export async function saveSession(
  f: StepFixture,
  over: Partial<SessionRecord> & { userId?: string; tenant?: string } = {},
): Promise<SavedSession> {
  const now = f.deps.clock.now();
  const tenant = over.tenant ?? 'acme';
  const userId = over.userId ?? 'u-bob';
  const secret = newSecret();
  const session: SessionRecord = {
    id: newSessionId(tenant, userId),
    tenant,
    userId,
    kind: 'browser',
    secretHash: hashSecret(secret),
    clientId: null,
    ipAddress: '203.0.113.7',
    userAgent: 'unit-test',
    authMethod: 'password',
    amr: ['pwd'],
    mfaAt: null,
    rememberMe: false,
    createdAt: now,
    lastActiveAt: now,
    authTime: now,
    expiresAt: now + 8 * 60 * MIN,
    idleTimeoutMs: 30 * MIN,
    ...over,
  };
  const created = await f.deps.store.createSession(session, { max: 0, policy: 'evict-oldest' }, now);
  if (!created.ok) throw new Error('could not save the test session');
  return { session, cookie: formatCookieValue(session.id, secret), secret };
}

/** An access token of the acme tenant signed with the test key (overridable claims). */
export async function accessToken(
  f: StepFixture,
  over: Partial<IssueInput> = {},
): Promise<{ token: string; claims: AccessTokenClaims }> {
  return issueAccessToken(f.deps.keys, {
    issuer: f.acme.issuer,
    subject: 'u-bob',
    audience: f.acme.issuer,
    clientId: 'web-spa',
    scope: 'openid',
    sessionId: null,
    authTime: null,
    tenant: 'acme',
    roles: [],
    lifetimeSeconds: 300,
    now: f.deps.clock.now(),
    ...over,
  });
}

/** A pipeline input from 203.0.113.7 (a GET of `/` unless told otherwise). */
export function inputOf(over: Partial<PipelineInput> = {}): PipelineInput {
  return { method: 'GET', hostname: null, target: '/', headers: {}, clientIp: '203.0.113.7', ...over };
}

/** A scope as the steps before would leave it. */
export function scopeFor(input: Partial<PipelineInput>, rest: Omit<Scope, 'input'> = {}): Scope {
  return { input: inputOf(input), ...rest };
}
