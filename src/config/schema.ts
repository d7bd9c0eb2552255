// The closed schema of the YAML config (SPEC §2): validates, normalises, fills DEFAULTS; every problem gets its path.
// Written with the helpers of zod-helpers.ts; the tenant settings' part is settings-patch.ts.
import { isIPv4, isIPv6 } from 'node:net';
import { availableParallelism } from 'node:os';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { parsePasswordHash } from '../session/password.js';
import { canonicalHost, isHostName } from '../util/host.js';
import { DEFAULTS } from './defaults.js';
import type {
  ClientConfig,
  IdentityProviderConfig,
  ListenAddress,
  RedisConfig,
  RouteRule,
  UserRecord,
} from './types.js';
import { applySettingsPatch, rpIdProblem, tenantSettingsPatchSchema } from './settings-patch.js';
import {
  checked,
  duration,
  echo,
  fail,
  formatPath,
  from,
  isObj,
  ok,
  pick,
  typeName,
  type Add,
  type Check,
} from './zod-helpers.js';

function checkListen(v: unknown): Check<ListenAddress> {
  const bad = fail('invalid listen address (expected host:port, e.g. 0.0.0.0:8080 or [::1]:8080)');
  if (typeof v !== 'string') return bad;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v);
  if (!m) return bad;
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) return fail('port must be 0–65535');
  if (m[1] !== undefined ? !isIPv6(host) : !isIPv4(host) && !isHostName(host)) return bad;
  return ok({ host, port });
}
const listen = from(checkListen);

/** An app host as the Host header carries it, without port: name, `*.` wildcard, IPv4 or IPv6 (kept bracketed). */
function checkHost(v: unknown): Check<string> {
  if (typeof v !== 'string') return fail(`expected a host name, got ${typeName(v)}`);
  const h = canonicalHost(v);
  return h !== null ? ok(h) : fail(`invalid host${echo(v)} (a host name, *.domain or an IP address, without port)`);
}

function checkHttpUrl(v: unknown, what: string, originOnly: boolean): Check<string> {
  const bad = fail(
    originOnly
      ? `${what} must be an http(s) origin such as https://auth.example.com (no path, query or credentials)`
      : `${what} must be an http(s) URL without query, fragment or credentials`,
  );
  if (typeof v !== 'string' || v.includes('?') || v.includes('#')) return bad;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return bad;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password) return bad;
  if (originOnly && u.pathname !== '/') return bad;
  return ok(u.origin + u.pathname.replace(/\/+$/, ''));
}

const trustedProxy = from((v) => {
  if (typeof v !== 'string') return fail(`expected an address, got ${typeName(v)}`);
  try {
    proxyaddr.compile([v]);
    return ok(v);
  } catch {
    return fail(`invalid trusted proxy${echo(v)} (an IP, a CIDR, or loopback / linklocal / uniquelocal)`);
  }
});

/** server.workers: a count, or `auto` for one per core this process may use. */
function checkWorkers(v: unknown): Check<number> {
  if (v === 'auto') return ok(availableParallelism());
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 256) return ok(v);
  return fail(`expected a whole number from 1 to 256 or auto, got${echo(v) || ` ${typeName(v)}`}`);
}

const server = z
  .strictObject({
    listen: listen.optional(),
    publicUrl: from((v) => checkHttpUrl(v, 'publicUrl', true)).optional(),
    trustedProxies: z.array(trustedProxy).optional(),
    shutdownTimeout: duration().optional(),
    maxHeaderBytes: z.number().int().min(1024).max(1_048_576).optional(),
    ops: z.strictObject({ listen: from((v) => (v === null ? ok(null) : checkListen(v))).optional() }).optional(),
    workers: from(checkWorkers).optional(),
  })
  .transform((s): typeof DEFAULTS.server => ({
    listen: s.listen ?? DEFAULTS.server.listen,
    publicUrl: s.publicUrl ?? DEFAULTS.server.publicUrl,
    trustedProxies: s.trustedProxies ?? DEFAULTS.server.trustedProxies,
    shutdownTimeout: s.shutdownTimeout ?? DEFAULTS.server.shutdownTimeout,
    maxHeaderBytes: s.maxHeaderBytes ?? DEFAULTS.server.maxHeaderBytes,
    ops: { listen: s.ops?.listen ?? DEFAULTS.server.ops.listen },
    workers: s.workers ?? DEFAULTS.server.workers,
  }));

const hostPort = z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535) });
const redisUrl = from((v): Check<RedisConfig> => {
  // Never echo a Redis URL: it may carry a password.
  const bad = fail('invalid Redis URL (expected redis://HOST:PORT/DB or rediss://…)');
  try {
    const u = new URL(String(v));
    return u.protocol === 'redis:' || u.protocol === 'rediss:' ? ok({ url: String(v) }) : bad;
  } catch {
    return bad;
  }
});
const redis = pick<RedisConfig | null>((v) =>
  v === null
    ? z.null()
    : typeof v === 'string'
      ? redisUrl
      : isObj(v) && 'sentinels' in v
        ? z.strictObject({ sentinels: z.array(hostPort).min(1), name: z.string().min(1) })
        : isObj(v) && 'cluster' in v
          ? z.strictObject({ cluster: z.array(hostPort).min(1) })
          : 'expected null, a redis:// URL, { sentinels: [{host, port}], name } or { cluster: [{host, port}] }',
);

/**
 * store.replicaTimeout's ceiling, in ms: a confirmed write may queue behind another one's
 * WAIT on their shared connection, and both must fit in the store's 500 ms command timeout.
 */
const MAX_REPLICA_TIMEOUT_MS = 250;

const store = z
  .strictObject({
    redis: redis.optional(),
    keyPrefix: z.string().max(64).optional(),
    failureMode: z.enum(['closed']).optional(),
    durability: z.enum(['local', 'replicated']).optional(),
    replicaTimeout: z.number().int().min(1).max(MAX_REPLICA_TIMEOUT_MS).optional(),
  })
  .superRefine((s, ctx) => {
    // Asking for replicas without Redis is a mistake to point out, not a wish to ignore.
    if (s.durability === 'replicated' && !s.redis)
      ctx.addIssue({
        code: 'custom',
        path: ['durability'],
        message:
          'replicated needs store.redis (a Redis with at least one replica): the in-memory store has no replica to wait for',
      });
  })
  .transform((s): typeof DEFAULTS.store => ({
    redis: s.redis ?? DEFAULTS.store.redis,
    keyPrefix: s.keyPrefix ?? DEFAULTS.store.keyPrefix,
    failureMode: s.failureMode ?? DEFAULTS.store.failureMode,
    durability: s.durability ?? DEFAULTS.store.durability,
    replicaTimeout: s.replicaTimeout ?? DEFAULTS.store.replicaTimeout,
  }));

const filePath = z.string().min(1);
const keys = z.strictObject({
  file: filePath.nullable().optional(),
  algorithm: z.enum(['RS256', 'ES256', 'EdDSA']).optional(),
});
const geoip = z.strictObject({ file: filePath.nullable().optional() });

// ---- users, clients, apps, routes

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/;
const ident = (what: string) =>
  z.string().regex(NAME_RE, { error: `invalid ${what} (letters, digits and . _ @ : -, at most 128)` });
const role = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,64}$/, { error: 'invalid role name (letters, digits and . _ : -; no commas)' });
const printable = z.string().regex(/^[^\p{Cc}]*$/u, { error: 'must not contain control characters' });
const secretHash = z.string().refine((s) => parsePasswordHash(s) !== null, {
  error:
    'not a valid scrypt hash ($scrypt$ln=..,r=..,p=..$salt$hash within safe bounds; create one with `gatekeeper hash-password`)',
});
const fileRef = z.strictObject({ file: filePath });
export type FileRef = z.output<typeof fileRef>;

/** The fields whose values must be unique within a list of `what`s (case-insensitive where `fold`). */
function unique(what: string, fields: readonly string[], fold: readonly string[] = []) {
  return (raw: unknown, add: Add): void => {
    if (!Array.isArray(raw)) return;
    for (const f of fields) {
      const seen = new Map<string, number>();
      raw.forEach((item, i) => {
        const v = isObj(item) ? item[f] : undefined;
        if (typeof v !== 'string') return;
        const key = fold.includes(f) ? v.toLowerCase() : v;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else add([i, f], `duplicate ${f === 'username' ? f : `${what} ${f}`}${echo(v)} (also at [${first}])`);
      });
    }
  };
}

const user = z
  .strictObject({
    id: ident('user id'),
    username: printable
      .min(1)
      .max(128)
      .refine((s) => s.trim() === s, { error: 'must not start or end with spaces' }),
    email: printable
      .max(254)
      .regex(/^[^\s@]+@[^\s@]+$/, { error: 'invalid email address' })
      .optional(),
    name: printable.max(200).optional(),
    roles: z.array(role).optional(),
    passwordHash: secretHash,
  })
  .transform((u): UserRecord => ({
    id: u.id,
    username: u.username,
    email: u.email ?? DEFAULTS.user.email,
    name: u.name ?? u.username,
    roles: u.roles ?? DEFAULTS.user.roles,
    passwordHash: u.passwordHash,
  }));
/** A user list, inline or the content of a `users.file`. Usernames are unique ignoring case. */
export const usersListSchema = checked(z.array(user), unique('user', ['id', 'username'], ['username']));

const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
const redirectUri = from((v) => {
  if (typeof v !== 'string') return fail(`expected a URI, got ${typeName(v)}`);
  try {
    const u = new URL(v);
    // RFC 6749 §3.1.2: absolute, no fragment; script-ish schemes are never a redirect target.
    if (u.hash || v.includes('#') || ['javascript:', 'data:', 'vbscript:', 'file:'].includes(u.protocol))
      throw new Error();
    return ok(v);
  } catch {
    return fail(`invalid redirect URI${echo(v)} (absolute, no fragment)`);
  }
});
const audienceList = pick<readonly string[]>((v) =>
  typeof v === 'string'
    ? z
        .string()
        .min(1)
        .transform((s) => [s])
    : z.array(z.string().min(1)).min(1),
);

const client = checked(
  z
    .strictObject({
      id: z
        .string()
        .regex(/^[A-Za-z0-9._~-]{1,128}$/, { error: 'invalid client id (letters, digits and . _ ~ -, at most 128)' }),
      public: z.boolean().optional(),
      secretHash: secretHash.nullable().optional(),
      redirectUris: z.array(redirectUri).optional(),
      grants: z.array(z.enum(GRANTS)).min(1).optional(),
      // RFC 6749 §3.3 scope-token.
      scopes: z
        .array(
          z
            .string()
            .regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { error: 'invalid scope (no spaces, quotes or backslashes)' }),
        )
        .optional(),
      audience: audienceList.nullable().optional(),
    })
    .transform((c): ClientConfig => ({
      id: c.id,
      public: c.public ?? DEFAULTS.client.public,
      secretHash: c.secretHash ?? DEFAULTS.client.secretHash,
      redirectUris: c.redirectUris ?? DEFAULTS.client.redirectUris,
      grants: [...new Set(c.grants ?? DEFAULTS.client.grants)],
      scopes: c.scopes ?? DEFAULTS.client.scopes,
      audience: c.audience ?? DEFAULTS.client.audience,
    })),
  (raw, add) => {
    if (!isObj(raw)) return;
    const hasSecret = raw.secretHash !== undefined && raw.secretHash !== null;
    if (raw.public === true && hasSecret)
      add(['secretHash'], 'a public client must not have a secret (remove secretHash or set public: false)');
    if (raw.public !== true && !hasSecret)
      add(['secretHash'], 'required for a confidential client (or set public: true)');
    if (raw.public === true && Array.isArray(raw.grants) && raw.grants.includes('client_credentials')) {
      add(['grants'], 'a public client cannot use client_credentials (it has no secret)');
    }
  },
);

function checkRoutePath(v: unknown): Check<string> {
  if (typeof v !== 'string') return fail(`expected a path, got ${typeName(v)}`);
  const why = !v.startsWith('/')
    ? 'must start with /'
    : /[^A-Za-z0-9\-._~!$&'()+,=:@*/]/.test(v)
      ? 'may hold only unreserved characters, sub-delimiters (no ;), : @ / and *'
      : v
            .split('/')
            .slice(1, -1)
            .some((s) => s === '')
        ? 'must not contain an empty segment (//)'
        : v.split('/').some((s) => s === '.' || s === '..')
          ? 'must not contain . or .. segments'
          : v.split('/').some((s) => s.includes('*') && s !== '*' && s !== '**')
            ? 'wildcards are whole segments: * (one) or ** (zero or more)'
            : null;
  return why ? fail(`invalid route path${echo(v)}: ${why}`) : ok(v);
}

const requirement = pick<RouteRule['require']>((v) =>
  v === 'authenticated'
    ? z.literal('authenticated').transform(() => DEFAULTS.route.require)
    : isObj(v)
      ? z
          .strictObject({
            roles: z.array(role).optional(),
            freshAuth: duration(1).optional(),
            mfa: z.boolean().optional(),
          })
          .transform((r) => ({ roles: r.roles ?? [], freshAuth: r.freshAuth ?? null, mfa: r.mfa ?? false }))
      : `invalid requirement${echo(v)} (expected authenticated or { roles: [...], freshAuth: DURATION, mfa: BOOLEAN })`,
);

const route = checked(
  z
    .strictObject({
      path: from(checkRoutePath),
      methods: z
        .array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'invalid HTTP method' }))
        .min(1)
        .optional(),
      allow: z.literal('anonymous').optional(),
      require: requirement.optional(),
    })
    .transform((r): RouteRule => ({
      path: r.path,
      methods: r.methods ? [...new Set(r.methods.map((m) => m.toUpperCase()))] : DEFAULTS.route.methods,
      require: r.allow === 'anonymous' ? null : (r.require ?? DEFAULTS.route.require),
    })),
  (raw, add) => {
    if (isObj(raw) && 'allow' in raw === 'require' in raw)
      add([], 'a route needs exactly one of allow: anonymous or require: …');
  },
);
/** A route list, inline or the content of a `routes.file`. */
export const routesListSchema = z.array(route);

const app = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
      error: 'invalid app name (letters, digits and . _ -, at most 63)',
    }),
    hosts: z.array(from(checkHost)).min(1),
    upstream: from((v) => checkHttpUrl(v, 'upstream', false)),
    identityHeaders: z.boolean().optional(),
    audience: z.string().min(1).nullable().optional(),
    caseInsensitivePaths: z.boolean().optional(),
    timeout: duration(1).optional(),
    routes: pick<readonly RouteRule[] | FileRef>((v) => (isObj(v) ? fileRef : routesListSchema)).optional(),
  })
  .transform((a) => ({
    name: a.name,
    hosts: a.hosts,
    upstream: a.upstream,
    identityHeaders: a.identityHeaders ?? DEFAULTS.app.identityHeaders,
    audience: a.audience ?? DEFAULTS.app.audience,
    caseInsensitivePaths: a.caseInsensitivePaths ?? DEFAULTS.app.caseInsensitivePaths,
    timeout: a.timeout ?? DEFAULTS.app.timeout,
    routes: a.routes ?? [],
  }));

const claimName = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, { error: 'invalid claim name' });

const identityProvider = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/, { error: 'invalid provider id (lower-case letters, digits and -, at most 32)' })
      // /login/mfa and /login/passkey are the gateway's own pages (SPEC §13).
      .refine((id) => id !== 'mfa' && id !== 'passkey', { error: 'the provider ids mfa and passkey are reserved' }),
    displayName: printable.min(1).max(100),
    issuer: from((v) => checkHttpUrl(v, 'issuer', false)),
    clientId: z.string().min(1).max(256),
    clientSecret: z.string().min(1).nullable().optional(),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { error: 'invalid scope' }))
      .min(1)
      .optional()
      .refine((s) => s === undefined || s.includes('openid'), { error: 'must include openid' }),
    claims: z
      .strictObject({
        username: claimName.optional(),
        email: claimName.optional(),
        name: claimName.optional(),
        roles: claimName.optional(),
      })
      .optional(),
    roleMap: z.record(z.string().min(1), role).optional(),
    allowedRoles: z.array(role).optional(),
    backchannelLogout: z.boolean().optional(),
    endSessionOnLogout: z.boolean().optional(),
  })
  .transform((p): IdentityProviderConfig => {
    const d = DEFAULTS.identityProvider;
    return {
      id: p.id,
      displayName: p.displayName,
      issuer: p.issuer,
      clientId: p.clientId,
      clientSecret: p.clientSecret ?? d.clientSecret,
      scopes: p.scopes ?? d.scopes,
      claims: { ...d.claims, ...Object.fromEntries(Object.entries(p.claims ?? {}).filter(([, v]) => v !== undefined)) },
      roleMap: p.roleMap ?? d.roleMap,
      allowedRoles: p.allowedRoles ?? d.allowedRoles,
      backchannelLogout: p.backchannelLogout ?? d.backchannelLogout,
      endSessionOnLogout: p.endSessionOnLogout ?? d.endSessionOnLogout,
    };
  });

const tenant = z.strictObject({
  displayName: printable.min(1).max(200).optional(),
  settings: tenantSettingsPatchSchema.optional().transform((s) => applySettingsPatch(DEFAULTS.settings, s ?? {})),
  users: pick<readonly UserRecord[] | FileRef>((v) => (isObj(v) ? fileRef : usersListSchema)).optional(),
  clients: checked(z.array(client), unique('client', ['id'])).optional(),
  identityProviders: checked(z.array(identityProvider), unique('identity provider', ['id'])).optional(),
  apps: checked(z.array(app), unique('app', ['name'])).optional(),
});

const SLUG_RE = /^[a-z0-9-]{1,63}$/;

/** A host belongs to one app across all tenants: the Host header alone picks the app. */
function uniqueHosts(raw: unknown, add: Add): void {
  const seen = new Map<string, string>();
  if (!isObj(raw) || !isObj(raw.tenants)) return;
  for (const [slug, t] of Object.entries(raw.tenants)) {
    if (!isObj(t) || !Array.isArray(t.apps)) continue;
    t.apps.forEach((a, i) => {
      if (!isObj(a) || !Array.isArray(a.hosts)) return;
      a.hosts.forEach((h, j) => {
        const c = checkHost(h);
        if (!c.ok) return;
        const where = formatPath(['tenants', slug, 'apps', i]);
        const first = seen.get(c.value);
        if (first !== undefined)
          add(['tenants', slug, 'apps', i, 'hosts', j], `host${echo(h)} already belongs to ${first}`);
        else seen.set(c.value, where);
      });
    });
  }
}

/** Every tenant's WebAuthn RP ID covers the publicUrl host (SPEC §13). */
function rpIdsFitPublicUrl(raw: unknown, add: Add): void {
  if (!isObj(raw) || !isObj(raw.tenants)) return;
  const server = isObj(raw.server) ? raw.server : {};
  const url = checkHttpUrl(server.publicUrl ?? DEFAULTS.server.publicUrl, 'publicUrl', true);
  if (!url.ok) return;
  for (const [slug, t] of Object.entries(raw.tenants)) {
    const mfa = isObj(t) && isObj(t.settings) && isObj(t.settings.mfa) ? t.settings.mfa : null;
    if (!mfa || typeof mfa.rpId !== 'string' || !isHostName(mfa.rpId)) continue;
    const problem = rpIdProblem(mfa.rpId.toLowerCase().replace(/\.$/, ''), url.value);
    if (problem) add(['tenants', slug, 'settings', 'mfa', 'rpId'], problem);
  }
}

/** The whole config file. Users and routes may still be `{file}` references for the loader to read. */
export const configSchema = checked(
  z.strictObject({
    server: server.optional().transform((s) => s ?? DEFAULTS.server),
    store: store.optional().transform((s) => s ?? DEFAULTS.store),
    keys: keys.optional(),
    geoip: geoip.optional(),
    tenants: z
      .record(
        z.string().regex(SLUG_RE, { error: 'invalid tenant slug (lower-case letters, digits and -, at most 63)' }),
        tenant,
      )
      .optional(),
  }),
  (raw, add) => {
    uniqueHosts(raw, add);
    rpIdsFitPublicUrl(raw, add);
  },
);
export type ParsedConfig = z.output<typeof configSchema>;
