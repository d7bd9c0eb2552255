#!/usr/bin/env node
// The command line (SPEC §1): start, check-config, hash-password, keys generate.
// Entry point only: each command calls into the library.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from './config/load.js';
import type { GatewayConfig } from './config/types.js';
import { preflight, type Preflight } from './preflight.js';
import { createDemoApp } from './demo/demo-app.js';
import { startDemoIdp, type DemoIdp } from './demo/demo-idp.js';
import { hashPassword } from './session/password.js';
import { startGateway } from './server.js';
import { runPrimary } from './cluster/primary.js';
import { prepareWorker, runWorker, workerId, workerLogger } from './cluster/worker.js';
import { generateJwks } from './tokens/keys.js';
import { reloadConfig } from './reload.js';
import { runReloadOnChange } from './reloader/reload-on-change.js';
import { createLogger, type Logger } from './util/log.js';
import { packageVersion } from './version.js';

const EXAMPLE_CONFIG = fileURLToPath(new URL('../config/gateway.example.yaml', import.meta.url));
const USAGE = `usage: gatekeeper [start] [--config FILE]
       gatekeeper demo [--config FILE]     (also runs the built-in demo app; as \`npm start\`)
       gatekeeper reload-on-change --config FILE [--watch DIR]...   (sidecar: SIGHUP on file changes)
       gatekeeper check-config --config FILE
       gatekeeper hash-password            (password on stdin)
       gatekeeper keys generate [--alg RS256|ES256|EdDSA]
       gatekeeper --version`;

/** Every check start runs (src/preflight.ts), for start and check-config alike; errors printed, null when any. */
async function load(path: string, log: Logger): Promise<Preflight | null> {
  try {
    return await preflight(path, { log, now: Date.now() });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`invalid configuration ${path} (${err.code}):`);
      for (const e of err.errors) console.error(`  ${e.path}: ${e.message}`);
      return null;
    }
    throw err;
  }
}

/**
 * `demo`: also run the built-in demo app at the first app's upstream (and the demo IdP), as without a config.
 * With server.workers > 1 this process becomes the cluster primary (src/cluster/primary.ts) and
 * each worker it forks runs this same command as a worker (src/cluster/worker.ts).
 */
async function start(configArg: string | undefined, demoWanted = false): Promise<number> {
  const configPath = configArg ?? process.env.GATEWAY_CONFIG;
  const worker = workerId();
  if (worker !== null) prepareWorker();
  const demo = worker === null && (demoWanted || configPath === undefined);
  const log = worker !== null ? workerLogger(worker) : createLogger();
  const checked = await load(configPath ?? EXAMPLE_CONFIG, log);
  if (!checked) return 1;
  if (worker !== null) return runWorker(worker, checked, log);
  const { config, keys, geo } = checked;
  for (const w of checked.warnings) log.warn({ path: w.path }, w.message);
  let demoApp: ReturnType<typeof createDemoApp> | null = null;
  let demoIdp: DemoIdp | null = null;
  if (demo) demoIdp = await startDemoIdpFor(config);
  if (demo) {
    const tenant = Object.values(config.tenants)[0];
    const upstream = tenant?.apps[0] ? new URL(tenant.apps[0].upstream) : null;
    if (tenant && upstream) {
      demoApp = createDemoApp({ tenantSlug: tenant.slug });
      await new Promise<void>((resolve, reject) =>
        demoApp!.once('error', reject).listen(Number(upstream.port), upstream.hostname, resolve),
      );
      console.log(`demo app listening on ${upstream.origin} (behind the gateway)`);
    }
  }
  if (config.server.workers > 1) {
    // The primary's own checks are done: the workers open the GeoIP database themselves.
    geo?.close?.();
    const code = await runPrimary({ config, log: log.child({ worker: 0 }), print: (line) => console.log(line) });
    demoApp?.close();
    demoApp?.closeAllConnections();
    await demoIdp?.close();
    return code;
  }
  const gw = await startGateway(config, { log, keys, geo });
  console.log(`listening on ${gw.url}`);
  if (gw.opsUrl) console.log(`listening on ${gw.opsUrl} (ops)`);
  if (demo) {
    console.log(
      `\nDemo: open ${config.server.publicUrl}/ and sign in as alice / alice-password (admin) or bob / bob-password.`,
    );
    if (demoIdp)
      console.log(
        `SSO demo: open http://127.0.0.1:${config.server.listen.port}/ and sign in with the demo IdP (${demoIdp.issuer}) as carol (admin) or dave, any password.`,
      );
    console.log('');
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string): void => {
      gw.deps.log.info({ signal }, 'shutting down');
      demoApp?.close();
      demoApp?.closeAllConnections();
      void demoIdp?.close();
      gw.stop().then(
        () => resolve(0),
        (err: unknown) => {
          gw.deps.log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGHUP', () => {
      reloadConfig(gw.deps).catch((err: unknown) =>
        gw.deps.log.error({ err: String(err) }, 'configuration reload failed'),
      );
    });
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

async function generateKeys(alg: string): Promise<number> {
  if (alg !== 'RS256' && alg !== 'ES256' && alg !== 'EdDSA') {
    console.error(`unsupported algorithm ${alg}: use RS256, ES256 or EdDSA`);
    return 1;
  }
  console.log(JSON.stringify(await generateJwks(alg), null, 2));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      alg: { type: 'string' },
      watch: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    console.log(packageVersion());
    return 0;
  }
  const [command = 'start', sub] = positionals;
  switch (command) {
    case 'start':
      return start(values.config);
    case 'demo':
      return start(values.config, true);
    case 'reload-on-change':
      return runReloadOnChange(values.config, values.watch ?? [], createLogger());
    case 'check-config': {
      const path = values.config ?? process.env.GATEWAY_CONFIG;
      if (!path) {
        console.error('check-config needs --config FILE');
        return 2;
      }
      const checked = await load(path, createLogger({ level: 'silent' }));
      if (!checked) return 1;
      checked.geo?.close?.();
      for (const w of checked.warnings) console.error(`warning: ${w.path}: ${w.message}`);
      console.log(`${path}: valid (${Object.keys(checked.config.tenants).length} tenant(s))`);
      return 0;
    }
    case 'hash-password': {
      const input = await readStdin();
      const password = input.endsWith('\r\n') ? input.slice(0, -2) : input.endsWith('\n') ? input.slice(0, -1) : input;
      if (password.length === 0) {
        console.error('hash-password: empty password on stdin');
        return 1;
      }
      console.log(await hashPassword(password));
      return 0;
    }
    case 'keys':
      if (sub === 'generate') return generateKeys(values.alg ?? 'RS256');
      console.error(USAGE);
      return 2;
    default:
      console.error(USAGE);
      return 2;
  }
}

/** Runs the CLI and exits with its code (used by the `gatekeeper` bin and main.ts). */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  run(process.argv.slice(2));

/** The demo configuration's IdP (a provider with id demo-idp on loopback), started before the gateway discovers it. */
async function startDemoIdpFor(config: GatewayConfig): Promise<DemoIdp | null> {
  for (const t of Object.values(config.tenants)) {
    const p = t.identityProviders.find((x) => x.id === 'demo-idp');
    if (!p || p.clientSecret === null) continue;
    const issuer = new URL(p.issuer);
    const port = config.server.listen.port;
    const origins = [config.server.publicUrl, ...t.apps.flatMap((a) => a.hosts.map((h) => `http://${h}:${port}`))];
    try {
      return await startDemoIdp({
        host: issuer.hostname,
        port: Number(issuer.port),
        clientId: p.clientId,
        clientSecret: p.clientSecret,
        gatewayOrigins: origins,
        slug: t.slug,
        provider: p.id,
      });
    } catch (err) {
      console.error(`demo IdP not started (${(err as Error).message}); the SSO demo tenant's button will answer 503`);
      return null;
    }
  }
  return null;
}
