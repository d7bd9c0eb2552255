// The layer between zod and the config's messages: issues with their YAML path, messages a
// person can act on, and schemas built from plain checker functions. The config schema and the
// tenant-settings patch are written with it.
import { z } from 'zod';
import { checkDuration, formatDuration } from '../util/duration.js';

export type IssuePath = readonly PropertyKey[];
export interface ConfigIssue {
  path: string;
  message: string;
}
export type Check<T> = { ok: true; value: T } | { ok: false; message: string };
export type Add = (path: PropertyKey[], message: string) => void;

/** `tenants.acme.apps[0].routes[2]`: dotted keys, `[i]` for list indices, quoted keys when odd. */
export function formatPath(path: IssuePath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[\w-]+$/.test(String(seg))) out += (out ? '.' : '') + String(seg);
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || '(root)';
}

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : isObj(v) ? 'a mapping' : typeof v;
export const echo = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? ` ${JSON.stringify(v)}` : '';
const EXPECTED: Record<string, string> = { object: 'a mapping', array: 'a list', int: 'an integer' };

// Messages a person can act on; values are echoed only as quoted scalars, which the
// loader blanks out when they came from an environment variable.
const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined
        ? 'required'
        : `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${typeName(iss.input)}`;
    case 'invalid_value':
      return `invalid value${echo(iss.input)} (expected one of: ${iss.values.map(String).join(', ')})`;
    case 'too_small':
      if (iss.origin === 'array') return `must have at least ${iss.minimum} item(s)`;
      if (iss.origin === 'string')
        return Number(iss.minimum) <= 1 ? 'must not be empty' : `must be at least ${iss.minimum} characters`;
      return `must be at least ${iss.minimum}`;
    case 'too_big':
      return iss.origin === 'string' ? `must be at most ${iss.maximum} characters` : `must be at most ${iss.maximum}`;
    default:
      return undefined;
  }
};

/** Zod issues → `{path, message}`, one per unknown key, each path prefixed. */
function flatten(
  issues: readonly z.core.$ZodIssue[],
  prefix: IssuePath = [],
): { path: PropertyKey[]; message: string }[] {
  return issues.flatMap((iss) =>
    iss.code === 'unrecognized_keys'
      ? iss.keys.map((k) => ({ path: [...prefix, ...iss.path, k], message: 'unknown key' }))
      : iss.code === 'invalid_key'
        ? [{ path: [...prefix, ...iss.path], message: iss.issues[0]?.message ?? iss.message }]
        : [{ path: [...prefix, ...iss.path], message: iss.message }],
  );
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: { path: PropertyKey[]; message: string }[] };
/** Runs a schema with our messages; issue paths are arrays (see formatPath). */
export function validate<T>(schema: z.ZodType<T>, input: unknown, prefix: IssuePath = []): Validated<T> {
  const r = schema.safeParse(input, { error: errorMap });
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: flatten(r.error.issues, prefix) };
}

/** A schema from a plain checker function: a value of any type in, one message out on failure. */
export function from<T>(check: (v: unknown) => Check<T>) {
  return z.unknown().transform((v, ctx): T => {
    // Optional fields wrap this in .optional(), so undefined here means a required key is missing.
    const r = v === undefined ? fail('required') : check(v);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  });
}

/** Picks the schema by the value's shape (clear errors where a union would list every branch), then
 * runs `extra` over the raw value even when the schema failed, so cross-field errors come out too. */
export function pick<T>(choose: (v: unknown) => z.ZodType<T> | string, extra?: (raw: unknown, add: Add) => void) {
  return z.unknown().transform((v, ctx): T => {
    const add: Add = (path, message) => ctx.addIssue({ code: 'custom', path, message });
    const schema = choose(v);
    const r =
      typeof schema === 'string'
        ? { ok: false as const, issues: [{ path: [], message: schema }] }
        : validate(schema, v);
    if (!r.ok) for (const iss of r.issues) add(iss.path, iss.message);
    extra?.(v, add);
    return r.ok ? r.value : z.NEVER;
  });
}
export const checked = <T>(schema: z.ZodType<T>, extra: (raw: unknown, add: Add) => void) => pick(() => schema, extra);

export const ok = <T>(value: T): Check<T> => ({ ok: true, value });
export const fail = (message: string): Check<never> => ({ ok: false, message });

export function duration(minSeconds = 0) {
  return from((v) => {
    const r = checkDuration(v);
    if (!r.ok) return r;
    return r.seconds < minSeconds ? fail(`must be at least ${formatDuration(minSeconds)}`) : ok(r.seconds);
  });
}
