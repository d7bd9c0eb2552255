// The npm package as a user gets it: a publishable manifest, LICENSE and CHANGELOG that
// match it, `gatekeeper --version`, and a packed tarball (dist/ built by prepack) whose
// bin runs from another directory.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  private?: boolean;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
};

t.test('the manifest is publishable, with a LICENSE and a CHANGELOG that match it', async (t) => {
  t.equal(pkg.private, undefined, 'not private');
  t.match(pkg.name, /^(?:@[a-z0-9-]+\/)?[a-z0-9-]+$/, 'a valid npm name');
  t.not(pkg.name, 'gatekeeper', 'not the npm name of an unrelated package');
  t.same(pkg.bin, { gatekeeper: 'dist/cli.js' }, 'the command stays gatekeeper');
  t.equal(pkg.scripts.prepack, 'npm run build', 'dist/ is built when packing');
  t.equal(pkg.license, 'MIT');
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  t.match(license, /^MIT License\n\nCopyright \(c\) 2026 Gatekeeper contributors\n/);
  const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
  t.match(changelog, /Keep a Changelog/);
  t.match(changelog, new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
});

t.test('--version and -v print the package version', async (t) => {
  for (const flag of ['--version', '-v']) {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', flag], { cwd: ROOT });
    t.equal(stdout, `${pkg.version}\n`, flag);
  }
});

t.test('the packed tarball: its bin runs from another directory', async (t) => {
  const dir = t.testdir({});
  // prepack builds dist/ first; the tarball holds exactly what a user installs.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as {
    filename: string;
    files: { path: string }[];
  }[];
  const files = new Set(packed!.files.map((f) => f.path));
  for (const f of [
    'package.json',
    'README.md',
    'LICENSE',
    'CHANGELOG.md',
    'dist/cli.js',
    'dist/main.js',
    'config/gateway.example.yaml',
    'config/users.example.yaml',
  ]) {
    t.ok(files.has(f), `the package holds ${f}`);
  }
  t.notOk(
    [...files].some((f) => /^(?:src|test|bench|scripts|deploy|node_modules)\//.test(f)),
    'no sources, tests, bench or deploy files',
  );

  await run('tar', ['-xzf', join(dir, packed!.filename), '-C', dir]);
  // Offline: the repository's installed dependencies stand in for `npm install`.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'package', 'node_modules'), 'dir');
  const bin = join(dir, 'package', pkg.bin.gatekeeper!);
  const away = join(dir, 'elsewhere');
  mkdirSync(away);
  const version = await run(process.execPath, [bin, '--version'], { cwd: away });
  t.equal(version.stdout, `${pkg.version}\n`, 'gatekeeper --version from the tarball');
  const check = await run(
    process.execPath,
    [bin, 'check-config', '--config', join(dir, 'package', 'config', 'gateway.example.yaml')],
    { cwd: away },
  );
  t.match(check.stdout, /gateway\.example\.yaml: valid/, 'the shipped example config (and its users file) checks out');
});
