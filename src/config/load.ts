// Loads the config: YAML → ${ENV} substitution → closed schema → users/routes files → DEFAULTS; every error at once; deep-frozen.
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML, { LineCounter } from 'yaml';
import { deepFreeze } from '../util/deep-freeze.js';
import type { ProcessErrorCode } from '../errors.js';
import { DEFAULTS } from './defaults.js';
import { configSchema, routesListSchema, usersListSchema, type FileRef, type ParsedConfig } from './schema.js';
import type { AppConfig, GatewayConfig, RouteRule, TenantConfig, UserRecord } from './types.js';
import { readSimpleUsersYaml } from './users-fast-yaml.js';
import { formatPath, validate, type ConfigIssue, type IssuePath } from './zod-helpers.js';
import type { z } from 'zod';

export type { ConfigIssue } from './zod-helpers.js';
export type Env = Readonly<Record<string, string | undefined>>;

/** Bad configuration: `errors` holds every problem; `message` lists them one per line as `path: message`. */
export class ConfigError extends Error {
  readonly code: ProcessErrorCode = 'ERR_GK_CONFIG';
  override readonly name = 'ConfigError';
  constructor(readonly errors: readonly ConfigIssue[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  }
}

export interface LoadOptions {
  /** Directory that `users.file`, `routes.file`, `keys.file` and `geoip.file` are relative to (default: cwd). */
  baseDir?: string;
  /** The file the text came from: names YAML syntax errors and becomes `GatewayConfig.source`. */
  source?: string | null;
  /** Where `${NAME}` is looked up (default: process.env). */
  env?: Env;
}

const ENV_HIDDEN = '(value from environment hidden)';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFileRef = (v: unknown): v is FileRef => isObj(v) && typeof v.file === 'string' && v.file !== '';

/** `label` + relative path: `tenants.acme.users.file(users/acme.yaml)` + `[1].passwordHash`. */
function join(label: string, path: IssuePath): string {
  if (path.length === 0) return label || formatPath(path);
  const rel = formatPath(path);
  return !label || rel.startsWith('[') ? label + rel : `${label}.${rel}`;
}
const within = (path: string, root: string) =>
  path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`);

/** Collects errors; knows which paths hold values from the environment so messages never echo them. */
class Problems {
  readonly list: ConfigIssue[] = [];
  readonly tainted: string[] = [];
  readonly envValues = new Set<string>();
  readonly blocked: string[] = [];
  constructor(readonly env: Env) {}
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
  addIssues(label: string, issues: readonly { path: PropertyKey[]; message: string }[]): void {
    for (const i of issues) {
      const path = join(label, i.path);
      // An unset ${VAR} was already reported; the literal left behind would only add noise.
      if (!this.blocked.some((b) => within(path, b))) this.add(path, i.message);
    }
  }
  /** The errors, secrets removed, duplicates dropped. */
  final(): ConfigIssue[] {
    const seen = new Set<string>();
    return this.list.flatMap(({ path, message }) => {
      let msg = this.tainted.some((t) => within(path, t)) ? message.replace(/"(?:[^"\\]|\\.)*"/g, ENV_HIDDEN) : message;
      for (const v of this.envValues) if (v.length >= 6) msg = msg.split(v).join(ENV_HIDDEN);
      const line = `${path}: ${msg}`;
      return seen.has(line) ? [] : (seen.add(line), [{ path, message: msg }]);
    });
  }
}

function parseYaml(text: string, label: string, p: Problems): { ok: boolean; value: unknown } {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  // Warnings (e.g. an unknown !tag) are errors too: the file would not mean what it says.
  const all = [...doc.errors, ...doc.warnings];
  for (const e of all) {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    p.add(`${label}:${line}:${col}`, `YAML: ${e.message.split('\n')[0] ?? ''}`);
  }
  if (all.length) return { ok: false, value: undefined };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    p.add(label, `YAML: ${(e as Error).message.split('\n')[0] ?? ''}`);
    return { ok: false, value: undefined };
  }
}

/** `${NAME}` → env value inside one string; `$${` is a literal `${`. */
function expand(s: string, env: Env): { value: string; used: string[] } | { error: string } {
  let out = '';
  const used: string[] = [];
  for (let i = 0; i < s.length;) {
    if (s.startsWith('$${', i)) {
      out += '${';
      i += 3;
    } else if (s.startsWith('${', i)) {
      const end = s.indexOf('}', i + 2);
      if (end < 0) return { error: 'unterminated ${ (write $${ for a literal ${)' };
      const name = s.slice(i + 2, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        return { error: 'invalid environment variable name in ${…} (write $${ for a literal ${)' };
      const v = env[name];
      if (v === undefined) return { error: `environment variable ${name} is not set` };
      out += v;
      used.push(v);
      i = end + 1;
    } else {
      out += s[i];
      i += 1;
    }
  }
  return { value: out, used };
}

/** Substitutes inside every string value (never in keys); rebuilds objects so `__proto__` stays a plain key. */
function substitute(v: unknown, label: string, path: PropertyKey[], p: Problems): unknown {
  if (typeof v === 'string') {
    if (!v.includes('${')) return v;
    const r = expand(v, p.env);
    const at = join(label, path);
    if ('error' in r) {
      p.add(at, r.error);
      p.blocked.push(at);
      return v;
    }
    if (r.used.length) p.tainted.push(at);
    for (const u of r.used) p.envValues.add(u);
    return r.value;
  }
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, label, [...path, i], p));
  if (isObj(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, label, [...path, k], p)]));
  return v;
}

/** Reads one YAML list file (users or routes) and validates it; errors are labelled `ref.file(NAME)[i]…`. */
function readList<T>(schema: z.ZodType<T>, abs: string, ref: string, shown: string, p: Problems): T | undefined {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    p.add(`${ref}.file`, `cannot read ${shown}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    return undefined;
  }
  const label = `${ref}.file(${shown})`;
  if (schema === (usersListSchema as unknown)) {
    const fast = readSimpleUsers(text);
    if (fast) return fast as T;
  }
  const doc = parseYaml(text, label, p);
  if (!doc.ok) return undefined;
  // An empty file is an empty list (all users removed), not an error.
  const r = validate(schema, substitute(doc.value ?? [], label, [], p));
  if (r.ok) return r.value;
  p.addIssues(label, r.issues);
  return undefined;
}

/**
 * A users file of the common simple shape (users-fast-yaml.ts), read without the YAML
 * library: 100k users in about a second with the schema check, and no parse tree (the library needs ~10× the
 * file's size and 10+ s). Undefined when the file has another shape or any problem at all
 * (a ${…}, a schema error, a duplicate): the caller then parses it as before, so every
 * error message and path is exactly the YAML library's and the schema's.
 */
function readSimpleUsers(text: string): UserRecord[] | undefined {
  if (text.includes('${')) return undefined;
  const list = readSimpleUsersYaml(text);
  if (list === null) return undefined;
  const r = validate(usersListSchema, list);
  return r.ok ? r.value : undefined;
}

function throwIfAny(p: Problems): void {
  const errors = p.final();
  if (errors.length) throw new ConfigError(errors);
}

export function loadConfigFile(path: string, opts: { env?: Env } = {}): GatewayConfig {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError([
      { path: abs, message: `cannot read the configuration file: ${(e as NodeJS.ErrnoException).code ?? 'error'}` },
    ]);
  }
  return loadConfigText(text, { baseDir: dirname(abs), source: abs, env: opts.env });
}

export function loadConfigText(text: string, opts: LoadOptions = {}): GatewayConfig {
  const baseDir = resolve(opts.baseDir ?? process.cwd());
  const p = new Problems(opts.env ?? process.env);
  const doc = parseYaml(text, opts.source ?? 'config', p);
  throwIfAny(p);
  if (doc.value === null || doc.value === undefined)
    throw new ConfigError([{ path: '(root)', message: 'the configuration is empty' }]);
  const raw = substitute(doc.value, '', [], p);

  const parsed = validate(configSchema, raw);
  if (!parsed.ok) p.addIssues('', parsed.issues);

  // Files are read even when the main file has errors, so one run reports everything.
  const loaded = new Map<string, { abs: string; list: unknown }>();
  const tenants = isObj(raw) && isObj(raw.tenants) ? raw.tenants : {};
  const load = (ref: IssuePath, fileRef: FileRef, schema: z.ZodType<unknown>) => {
    const refPath = formatPath(ref);
    if (p.blocked.includes(`${refPath}.file`)) return; // its ${VAR} is unset, already reported
    const abs = resolve(baseDir, fileRef.file);
    const shown = p.tainted.includes(`${refPath}.file`) ? '<from environment>' : fileRef.file;
    const list = readList(schema, abs, refPath, shown, p);
    if (list !== undefined) loaded.set(refPath, { abs, list });
  };
  for (const [slug, t] of Object.entries(tenants)) {
    if (!isObj(t)) continue;
    if (isFileRef(t.users)) load(['tenants', slug, 'users'], t.users, usersListSchema);
    if (Array.isArray(t.apps)) {
      t.apps.forEach((a, i) => {
        if (isObj(a) && isFileRef(a.routes)) load(['tenants', slug, 'apps', i, 'routes'], a.routes, routesListSchema);
      });
    }
  }

  // Checked on the raw value so a missing key file is reported alongside every other error.
  const fileSetting = (section: 'keys' | 'geoip'): string | null => {
    const v = isObj(raw) && isObj(raw[section]) ? raw[section].file : undefined;
    if (typeof v !== 'string' || v === '') return null;
    const abs = resolve(baseDir, v);
    try {
      accessSync(abs, constants.R_OK);
    } catch (e) {
      p.add(
        `${section}.file`,
        `cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'error'}; relative paths start at the config file's directory)`,
      );
    }
    return abs;
  };
  const keysFile = fileSetting('keys');
  const geoipFile = fileSetting('geoip');
  throwIfAny(p);
  if (!parsed.ok) throw new Error('unreachable: schema failed without issues');

  const cfg = parsed.value;
  return deepFreeze({
    server: cfg.server,
    store: cfg.store,
    keys: { file: keysFile, algorithm: cfg.keys?.algorithm ?? DEFAULTS.keys.algorithm },
    geoip: { file: geoipFile },
    tenants: Object.fromEntries(
      Object.entries(cfg.tenants ?? {}).map(([slug, t]) => [slug, resolveTenant(slug, t, loaded)]),
    ),
    source: opts.source ?? null,
  } satisfies GatewayConfig);
}

type ParsedTenant = NonNullable<ParsedConfig['tenants']>[string];

function resolveTenant(
  slug: string,
  t: ParsedTenant,
  loaded: Map<string, { abs: string; list: unknown }>,
): TenantConfig {
  const fromFile = <T>(
    ref: IssuePath,
    v: readonly T[] | FileRef | undefined,
  ): { list: readonly T[]; file: string | null } => {
    if (v === undefined) return { list: [], file: null };
    if (!('file' in v)) return { list: v, file: null };
    const got = loaded.get(formatPath(ref));
    if (!got) throw new Error(`unreachable: ${formatPath(ref)} was not loaded`);
    return { list: got.list as readonly T[], file: got.abs };
  };
  const users = fromFile<UserRecord>(['tenants', slug, 'users'], t.users);
  return {
    slug,
    displayName: t.displayName ?? slug,
    settings: t.settings,
    users: users.list,
    usersFile: users.file,
    clients: t.clients ?? [],
    identityProviders: t.identityProviders ?? [],
    apps: (t.apps ?? []).map((a, i): AppConfig => {
      const routes = fromFile<RouteRule>(['tenants', slug, 'apps', i, 'routes'], a.routes);
      return { ...a, routes: routes.list, routesFile: routes.file };
    }),
  };
}

/** Reads a users file (a YAML list) as the loader does; throws ConfigError with every problem. */
export function loadUsersFile(file: string, opts: { env?: Env; label?: string } = {}): readonly UserRecord[] {
  return loadListFile(usersListSchema, file, opts.label ?? 'users', opts.env);
}

/** Reads a routes file (a YAML list) as the loader does; throws ConfigError with every problem. */
export function loadRoutesFile(file: string, opts: { env?: Env; label?: string } = {}): readonly RouteRule[] {
  return loadListFile(routesListSchema, file, opts.label ?? 'routes', opts.env);
}

function loadListFile<T>(schema: z.ZodType<T>, file: string, label: string, env: Env | undefined): T {
  const p = new Problems(env ?? process.env);
  const list = readList(schema, resolve(file), label, file, p);
  throwIfAny(p);
  return deepFreeze(list as T);
}

/**
 * For SIGHUP: re-reads every `users.file` and `routes.file` of `config`. Returns a new
 * frozen config, or throws ConfigError with every error (the caller keeps the old one).
 */
export function reloadFiles(config: GatewayConfig, opts: { env?: Env } = {}): GatewayConfig {
  const p = new Problems(opts.env ?? process.env);
  const read = <T>(schema: z.ZodType<T>, abs: string, ref: IssuePath, keep: T): T =>
    readList(schema, abs, formatPath(ref), abs, p) ?? keep;
  const tenants = Object.fromEntries(
    Object.entries(config.tenants).map(([slug, t]) => [
      slug,
      {
        ...t,
        users: t.usersFile ? read(usersListSchema, t.usersFile, ['tenants', slug, 'users'], t.users) : t.users,
        apps: t.apps.map((a, i) => ({
          ...a,
          routes: a.routesFile
            ? read(routesListSchema, a.routesFile, ['tenants', slug, 'apps', i, 'routes'], a.routes)
            : a.routes,
        })),
      },
    ]),
  );
  throwIfAny(p);
  return deepFreeze({ ...config, tenants });
}
