// Runs the gateway as a real child process (`src/main.ts start --config FILE` through tsx),
// configured like startTestGateway's, so a test can tell a crash from a refusal: a process
// that dies on one request is seen exiting, which an in-process gateway cannot show.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testConfigYaml, type TestGatewayOptions } from './gateway.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildGateway {
  url: string;
  /** null while it runs; the exit code (or signal name) once it has exited. */
  exit(): string | null;
  /** Resolves with exit() once it has exited, or after `ms` (a process that is dying takes a moment). */
  waitExit(ms: number): Promise<string | null>;
  /** The end of what it printed (LOG_LEVEL=warn: warnings, errors, a crash's stack), for a failure message. */
  output(): string;
  stop(): Promise<void>;
}

export async function startChildGateway(upstreamUrl: string, o: TestGatewayOptions = {}): Promise<ChildGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'gk-child-'));
  const config = join(dir, 'gateway.yaml');
  await writeFile(config, await testConfigYaml(upstreamUrl, o));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'start', '--config', config],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let exited: string | null = null;
  // A test process that dies (or forgets stop()) must not leave a gateway behind.
  const orphanGuard = (): void => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', orphanGuard);
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = signal ?? String(code);
      process.off('exit', orphanGuard);
      resolve();
    }),
  );
  // The last 20 kB only: a long fuzz run must not grow this without bound.
  const keep = (text: string): void => {
    out = (out + text).slice(-20_000);
  };
  child.stderr!.on('data', (c: Buffer) => keep(c.toString('utf8')));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout: string | null = '';
    const onData = (c: Buffer): void => {
      const text = c.toString('utf8');
      keep(text);
      if (stdout === null) return;
      stdout += text;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (!m) return;
      stdout = null;
      resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    void gone.then(() => reject(new Error(`the gateway exited (${String(exited)}) before listening:\n${out}`)));
  });
  return {
    url,
    exit: () => exited,
    waitExit: async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
      return exited;
    },
    output: () => out,
    stop: async () => {
      if (exited === null) {
        child.kill('SIGTERM');
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
