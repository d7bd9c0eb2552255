// The desync property (SPEC §3.4, §3.5, §6): a pipeline of generated request shapes is sent
// as raw bytes to a gateway running as a child process in front of the raw upstream, and
// every invariant is checked on what the client got and what the app parsed. Shared by
// test/e2e/desync-fuzz.test.ts and scripts/fuzz.mjs.
import fc from 'fast-check';
import { startChildGateway, type ChildGateway } from './child-gateway.js';
import { PASSWORDS } from './gateway.js';
import { request } from './http.js';
import { login } from './login.js';
import { exchange, header, type Exchange, type ParsedResponse } from './raw-client.js';
import { startRawUpstream, type ParsedRequest, type RawUpstream } from './raw-upstream.js';
import {
  authLike,
  connectionNamesForbidden,
  expectedFor,
  FORWARDING_FAMILY,
  GATEWAY_COOKIE,
  HOST,
  pipelineArb,
  renderPipeline,
  REWRITE_HEADERS,
  type Credentials,
  type PipelineShape,
  type RenderedRequest,
} from './request-shapes.js';

/** The fuzz gateway trusts 127.0.0.1 only: a client on 127.0.0.2 is an untrusted peer. */
const TRUSTED = '[127.0.0.1/32]';
const PEER = { trusted: '127.0.0.1', untrusted: '127.0.0.2' } as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GATEWAY_SET = new Set([
  'x-auth-user',
  'x-auth-email',
  'x-auth-name',
  'x-auth-roles',
  'x-auth-tenant',
  'x-auth-session',
  'x-auth-time',
  'x-auth-jwt',
]);

export interface FuzzEnv {
  upstream: RawUpstream;
  gateway: ChildGateway;
  creds: Credentials;
  bobSid: string;
  /** How many times a crashed gateway was started again (each crash is also a failure). */
  restarts: number;
  runs: number;
  close(): Promise<void>;
}

/** Bob (no roles) signs in through the form; his cookie value, an access token bound to that session, its id. */
export async function signInBob(url: string): Promise<{ creds: Credentials; sid: string }> {
  const { jar, res } = await login(url, { username: 'bob', password: PASSWORDS.bob });
  const cookie = jar.get('gk_acme');
  if (res.status !== 302 || !cookie) throw new Error(`fuzz: bob's login failed (${res.status})`);
  const session = await request(url, '/t/acme/api/v1/session', { headers: { host: HOST, cookie: jar.header() } });
  const csrf = session.json<{ csrfToken: string }>().csrfToken;
  const tok = await request(url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: HOST, cookie: jar.header(), 'x-csrf-token': csrf },
  });
  if (tok.status !== 200) throw new Error(`fuzz: session/token ${tok.status} ${tok.body}`);
  return { creds: { cookie, bearer: tok.json<{ access_token: string }>().access_token }, sid: cookie.split('.')[0]! };
}

export async function startFuzzEnv(): Promise<FuzzEnv> {
  const upstream = await startRawUpstream();
  const gateway = await startChildGateway(upstream.url, { trustedProxies: TRUSTED });
  const { creds, sid } = await signInBob(gateway.url);
  const env: FuzzEnv = {
    upstream,
    gateway,
    creds,
    bobSid: sid,
    restarts: 0,
    runs: 0,
    close: async () => {
      await env.gateway.stop();
      await upstream.close();
    },
  };
  return env;
}

/** After a crash (already reported), a fresh gateway so the next shapes (and shrinking) still test something. */
async function ensureRunning(env: FuzzEnv): Promise<void> {
  if (env.gateway.exit() === null) return;
  await env.gateway.stop();
  env.gateway = await startChildGateway(env.upstream.url, { trustedProxies: TRUSTED });
  const { creds, sid } = await signInBob(env.gateway.url);
  env.creds = creds;
  env.bobSid = sid;
  env.restarts++;
}

function describe(rec: ParsedRequest): string {
  return `#${rec.n} ${rec.method} ${rec.url} rid=${rec.rid ?? '-'} x-auth-user=${String(rec.headers['x-auth-user'] ?? '-')}`;
}

/** Invariants on one request the app parsed for rendered request `r`. */
function checkForwarded(env: FuzzEnv, rec: ParsedRequest, r: RenderedRequest, untrusted: boolean, out: string[]): void {
  const s = r.shape;
  const what = `app got ${describe(rec)} for ${s.target} ${s.method} ${s.path}`;
  if (s.target === 'forward-auth') return void out.push(`${what}: a forward-auth question reached the app`);
  if (rec.method !== s.method) out.push(`${what}: method is not the client's ${s.method}`);
  if (rec.url !== s.path) out.push(`${what}: path is not ${s.path}`);
  const expected = expectedFor(s);
  if (expected === 'refused')
    out.push(`${what}: forwarded a request the policy refuses (credential ${s.credential}, origin ${s.origin})`);
  if (connectionNamesForbidden(s))
    out.push(`${what}: forwarded although Connection names ${JSON.stringify(s.connection)} (SPEC §3.4: 400)`);
  const names = authLike(rec.headers);
  if (expected === 'anonymous' && names.length > 0)
    out.push(`${what}: anonymous route forwarded with ${names.join(', ')}`);
  if (expected === 'bob') {
    const h = rec.headers;
    const want: Record<string, string> = {
      'x-auth-user': 'u-bob',
      'x-auth-roles': '',
      'x-auth-email': 'bob@acme.test',
      'x-auth-name': 'Bob Builder',
      'x-auth-tenant': 'acme',
      'x-auth-session': env.bobSid,
    };
    for (const [k, v] of Object.entries(want))
      if (h[k] !== v) out.push(`${what}: ${k} is ${JSON.stringify(h[k])}, not the gateway's ${JSON.stringify(v)}`);
    if (!/^\d+$/.test(String(h['x-auth-time']))) out.push(`${what}: x-auth-time ${JSON.stringify(h['x-auth-time'])}`);
    if (typeof h['x-auth-jwt'] !== 'string' || h['x-auth-jwt'] === 'forged')
      out.push(`${what}: x-auth-jwt is not the gateway's`);
    const extra = names.filter((n) => !GATEWAY_SET.has(n));
    if (extra.length > 0) out.push(`${what}: client X-Auth-* spellings forwarded: ${extra.join(', ')}`);
  }
  if (rec.headers.host !== HOST)
    out.push(`${what}: Host is ${JSON.stringify(rec.headers.host)}, not the client's ${HOST}`);
  for (const n of REWRITE_HEADERS) if (rec.headers[n] !== undefined) out.push(`${what}: ${n} reached the app`);
  if (untrusted) {
    for (const n of FORWARDING_FAMILY)
      if (rec.headers[n] !== undefined) out.push(`${what}: ${n} from an untrusted peer reached the app`);
    const xff = rec.headers['x-forwarded-for'];
    const xfh = rec.headers['x-forwarded-host'];
    if (xff !== PEER.untrusted) out.push(`${what}: X-Forwarded-For ${JSON.stringify(xff)} from an untrusted peer`);
    if (xfh !== HOST) out.push(`${what}: X-Forwarded-Host ${JSON.stringify(xfh)} from an untrusted peer`);
  }
  const cookieNames = String(rec.headers.cookie ?? '')
    .split(';')
    .map((c) => c.split('=', 1)[0]!.trim())
    .filter((c) => GATEWAY_COOKIE.test(c));
  if (cookieNames.length > 0) out.push(`${what}: gateway cookies ${cookieNames.join(', ')} reached the app`);
  if (!rec.upgrade && !rec.aborted) {
    if (!rec.done) out.push(`${what}: the app is still waiting for the end of the body`);
    else if (rec.body.toString('latin1') !== r.body) {
      out.push(
        `${what}: body ${JSON.stringify(rec.body.toString('latin1'))} is not the client's ${JSON.stringify(r.body)}`,
      );
    }
  }
}

/** Invariants on a forward-auth answer (SPEC §6): it decides, nothing is proxied. */
function checkForwardAuth(
  env: FuzzEnv,
  resp: ParsedResponse,
  r: RenderedRequest,
  untrusted: boolean,
  out: string[],
): void {
  const s = r.shape;
  const what = `forward-auth ${s.method} ${s.path} (${s.credential}) answered ${resp.status}`;
  if (header(resp, 'x-upstream-n') !== undefined) out.push(`${what}: carries an upstream answer`);
  if (resp.status < 200 || resp.status > 299) return;
  if (untrusted) out.push(`${what}: allowed for an untrusted peer (SPEC §6: 400)`);
  const expected = expectedFor(s);
  if (expected === 'refused') out.push(`${what}: allowed what the policy refuses`);
  const names = authLike(resp.headers);
  if (expected === 'anonymous' && names.length > 0) out.push(`${what}: identity headers on an anonymous route`);
  if (
    expected === 'bob' &&
    (header(resp, 'x-auth-user') !== 'u-bob' ||
      header(resp, 'x-auth-roles') !== '' ||
      header(resp, 'x-auth-session') !== env.bobSid)
  ) {
    out.push(
      `${what}: identity is not bob's: user ${String(header(resp, 'x-auth-user'))} roles ${String(header(resp, 'x-auth-roles'))}`,
    );
  }
}

const PROBES = 2;

/** Runs one pipeline shape; returns every broken invariant (empty: all held). */
export async function runShape(env: FuzzEnv, p: PipelineShape): Promise<string[]> {
  await ensureRunning(env);
  const run = env.runs++;
  const rendered = renderPipeline(p, env.creds, `fz${run}`);
  const untrusted = p.peer === 'untrusted';
  const mark = env.upstream.mark();
  const errorsBefore = env.upstream.parseErrors.length;
  const out: string[] = [];
  let ex: Exchange | null = null;
  try {
    const bytes = rendered.map((r) => r.bytes).join('');
    ex = await exchange(env.gateway.url, bytes, {
      methods: rendered.map((r) => r.wireMethod),
      idleMs: 3000,
      localAddress: PEER[p.peer],
    });
  } catch (err) {
    out.push(`the exchange failed: ${String(err)}`);
  }
  // Victims: requests of other clients right after, on the same pooled upstream sockets.
  const probes = await Promise.all(
    Array.from({ length: PROBES }, (_, i) => {
      const bytes = `GET /public/probe-${run}-${i} HTTP/1.1\r\nHost: ${HOST}\r\nX-Request-Id: probe-${run}-${i}\r\nConnection: close\r\n\r\n`;
      return exchange(env.gateway.url, bytes, { methods: ['GET'], idleMs: 3000 }).catch((err: unknown) => String(err));
    }),
  );
  await env.upstream.settled(25);
  const seen = env.upstream.since(mark);
  const byN = new Map(seen.map((rec) => [rec.n, rec]));

  // A connection refused or reset may be a process on its way out: give it a moment to exit.
  const troubled = ex === null || probes.some((x) => typeof x === 'string');
  if (troubled) await env.gateway.waitExit(1000);
  if (env.gateway.exit() !== null)
    out.push(`the gateway process exited (${String(env.gateway.exit())}):\n${env.gateway.output().slice(-3000)}`);
  for (const e of env.upstream.parseErrors.slice(errorsBefore)) {
    out.push(`the app could not parse what the gateway sent on upstream connection ${e.conn}: ${e.code}`);
  }

  const knownRids = new Set<string>();
  if (ex) {
    const { responses } = ex;
    const last = responses.at(-1);
    if (!ex.closed && responses.length < rendered.length && last?.status !== 101) {
      out.push(`no answer to request ${responses.length} and the connection stayed open`);
    }
    responses.forEach((resp, i) => {
      const r = rendered[i];
      if (!r) return void out.push(`answer ${i} (${resp.status}) to a request the client never sent`);
      if (resp.status >= 500 && ![502, 503, 504].includes(resp.status))
        out.push(`answer ${i}: ${resp.status} (only 502/503/504 may be 5xx)`);
      const rid = header(resp, 'x-request-id');
      if (rid !== undefined) knownRids.add(rid);
      if (r.rid && rid !== undefined && rid !== r.rid)
        out.push(`answer ${i} carries request id ${rid}, not ${r.rid}: answers out of order`);
      if (r.shape.target === 'forward-auth') return checkForwardAuth(env, resp, r, untrusted, out);
      const n = header(resp, 'x-upstream-n');
      if (n === undefined) return;
      const rec = byN.get(Number(n));
      if (!rec)
        return void out.push(
          `answer ${i} is the app's answer to request #${n} of an earlier exchange (response queue poisoning)`,
        );
      const expectRid = rid ?? r.rid;
      if (expectRid !== null && rec.rid !== expectRid)
        out.push(`answer ${i} (rid ${expectRid}) is the app's answer to ${describe(rec)}`);
    });
  }
  probes.forEach((probe, i) => {
    const rid = `probe-${run}-${i}`;
    knownRids.add(rid);
    if (typeof probe === 'string') return void out.push(`victim ${i}: ${probe}`);
    const resp = probe.responses[0];
    if (!resp) return void out.push(`victim ${i}: no answer`);
    const n = header(resp, 'x-upstream-n');
    const rec = n === undefined ? undefined : byN.get(Number(n));
    if (resp.status !== 200 || !rec || rec.rid !== rid || rec.url !== `/public/probe-${run}-${i}`) {
      out.push(
        `victim ${i} got ${resp.status} ${rec ? describe(rec) : `app answer #${String(n)} of an earlier exchange`}`,
      );
    }
  });

  // App side: every request it parsed must be one the gateway decided on, at most once.
  const ridCount = new Map<string, number>();
  let unnamed = 0;
  for (const rec of seen) {
    const r = rendered.find((x) => x.rid !== null && x.rid === rec.rid);
    if (rec.rid !== undefined) ridCount.set(rec.rid, (ridCount.get(rec.rid) ?? 0) + 1);
    if (r) checkForwarded(env, rec, r, untrusted, out);
    else if (rec.rid?.startsWith('smuggled-'))
      out.push(`smuggled: the app parsed ${describe(rec)} from a request body`);
    else if (rec.rid === undefined)
      out.push(`smuggled: the app parsed ${describe(rec)}, which carries no gateway request id`);
    else if (!knownRids.has(rec.rid) && !rec.rid.startsWith('probe-')) {
      if (UUID.test(rec.rid)) unnamed++;
      else out.push(`the app parsed ${describe(rec)}, which the gateway never answered`);
    }
  }
  if (unnamed > rendered.filter((r) => r.rid === null).length)
    out.push(`the app parsed ${unnamed} requests with gateway-made ids nobody got an answer to`);
  for (const [rid, count] of ridCount) if (count > 1) out.push(`the app parsed request ${rid} ${count} times`);

  if (out.length === 0) return out;
  return [
    ...out,
    '--- sent ---',
    JSON.stringify(rendered.map((r) => r.bytes).join('')),
    `--- from ${p.peer} peer; answers ---`,
    ...(ex?.responses ?? []).map(
      (r) =>
        `${r.status} rid=${String(header(r, 'x-request-id'))} n=${String(header(r, 'x-upstream-n'))} ${r.body.slice(0, 120)}`,
    ),
    '--- the app parsed ---',
    ...seen.map(describe),
  ];
}

export interface FuzzOptions {
  seed: number;
  numRuns?: number;
  /** Stop generating (and shrinking) after this long. */
  timeLimitMs?: number;
}

/** fast-check's report (seed, path, shrunk counterexample) followed by every invariant it broke. */
export function failureReport(details: fc.RunDetails<[PipelineShape]>): string {
  const broken = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return `${fc.defaultReportMessage(details) ?? 'property failed'}\n--- broken invariants of the counterexample ---\n${broken}`;
}

/** Checks the property (a failure is in the result: see failureReport). */
export async function checkDesync(env: FuzzEnv, o: FuzzOptions): Promise<fc.RunDetails<[PipelineShape]>> {
  const property = fc.asyncProperty(pipelineArb, async (p) => {
    const broken = await runShape(env, p);
    if (broken.length > 0) throw new Error(broken.join('\n'));
  });
  const details = await fc.check(property, {
    seed: o.seed,
    numRuns: o.numRuns ?? Number.MAX_SAFE_INTEGER,
    ...(o.timeLimitMs ? { interruptAfterTimeLimit: o.timeLimitMs } : {}),
  });
  return details;
}
