// Which processes the reloader signals: gateways started with the same --config only, never
// itself or a gateway of another configuration; SIGHUP reaches a real process.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { findGateways, isGatewayFor } from '../../src/reloader/find-gateway.js';
import { signalGateways, systemReloaderDeps } from '../../src/reloader/reload-on-change.js';
import { createLogger } from '../../src/util/log.js';

const CFG = '/etc/gatekeeper/config/gateway.yaml';

t.test('isGatewayFor', async (t) => {
  t.ok(isGatewayFor(['node', 'dist/cli.js', 'start', '--config', CFG], CFG));
  t.ok(isGatewayFor(['/usr/local/bin/node', 'dist/cli.js', 'start', `--config=${CFG}`], CFG));
  t.ok(isGatewayFor(['node', 'dist/cli.js', 'start', '-c', CFG], CFG));
  t.notOk(isGatewayFor(['node', 'dist/cli.js', 'reload-on-change', '--config', CFG], CFG), 'a reloader');
  t.notOk(isGatewayFor(['node', 'dist/cli.js', 'start', '--config', '/other.yaml'], CFG), 'another config');
  t.notOk(isGatewayFor(['node', 'dist/cli.js', 'check-config', '--config', CFG], CFG), 'check-config');
  t.notOk(isGatewayFor(['node', 'dist/cli.js', 'start', CFG], CFG), 'the path not as --config');
});

t.test('findGateways reads cmdline under a proc folder, skips itself and unreadable entries', async (t) => {
  const proc = mkdtempSync(join(tmpdir(), 'gk-proc-'));
  t.teardown(() => rmSync(proc, { recursive: true, force: true }));
  const fake = (pid: number, argv: string[] | null): void => {
    mkdirSync(join(proc, String(pid)));
    if (argv) writeFileSync(join(proc, String(pid), 'cmdline'), argv.join('\0') + '\0');
  };
  fake(7, ['node', 'dist/cli.js', 'start', '--config', CFG]);
  fake(8, ['node', 'dist/cli.js', 'reload-on-change', '--config', CFG]);
  fake(9, ['node', 'dist/cli.js', 'start', '--config', CFG]);
  fake(10, null); // a kernel thread or a process of another user: no readable cmdline
  fake(11, ['node', 'dist/cli.js', 'start', '--config', '/x.yaml']);
  mkdirSync(join(proc, 'self'));
  t.same(findGateways(CFG, { procDir: proc, self: 9 }).sort(), [7]);
});

t.test('a real process started with --config gets SIGHUP; the reloader itself does not', async (t) => {
  const config = join(mkdtempSync(join(tmpdir(), 'gk-sig-')), 'gateway.yaml');
  // A stand-in whose command line is a gateway's: it reports the SIGHUP it receives.
  const child = spawn(
    process.execPath,
    [
      '-e',
      "process.on('SIGHUP', () => { console.log('hup'); process.exit(0) }); console.log('ready'); setInterval(() => {}, 1000)",
      'start',
      '--config',
      config,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes('ready')) resolve();
    }),
  );
  const lines: string[] = [];
  const log = createLogger({
    destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString('utf8')), cb()) }),
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.equal(signalGateways(config, systemReloaderDeps(log)), 1, 'one gateway signalled');
  t.equal(await exited, 0, 'it got SIGHUP');
  t.match(out, /hup/);
  t.equal(signalGateways(config, systemReloaderDeps(log)), 0, 'none left');
  t.ok(
    lines.some((l) => l.includes('no gateway runs')),
    'which is logged',
  );
});
