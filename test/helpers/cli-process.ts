// The gatekeeper command line as a child process (`src/main.ts <args>` through tsx), as a
// container or an operator runs it: for check-config's exit code and a real `start`.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', `${ROOT}src/main.ts`, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a command to its end: exit code and everything it printed. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  const child = spawnCli(args, env);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

export interface CliGateway {
  /** The public listener's URL (the line `listening on URL`). */
  url: string;
  output(): string;
  /** How much it has printed so far: pass it to waitFor to look only at what comes after. */
  mark(): number;
  /** Resolves once what it printed (stdout and stderr) from `since` on matches `re`. */
  waitFor(re: RegExp, since?: number): Promise<void>;
  /** SIGTERM, then the exit code (or signal name). */
  terminate(): Promise<string>;
}

/** `start …` until it prints `listening on URL`; killed when the test process exits. */
export async function startCli(args: string[], env: Record<string, string> = {}): Promise<CliGateway> {
  const child = spawnCli(args, env);
  let out = '';
  const guard = (): void => void child.kill('SIGKILL');
  process.once('exit', guard);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', guard);
      resolve(signal ?? String(code));
    }),
  );
  const waiters = new Set<() => void>();
  const more = (c: Buffer): void => {
    out += c.toString('utf8');
    for (const w of [...waiters]) w();
  };
  child.stderr!.on('data', more);
  child.stdout!.on('data', more);
  const url = await new Promise<string>((resolve, reject) => {
    const listening = (): void => {
      const m = /^listening on (http:\/\/\S+)$/m.exec(out); // not `demo app listening on`
      if (!m) return;
      waiters.delete(listening);
      resolve(m[1]!);
    };
    waiters.add(listening);
    void exited.then((how) => reject(new Error(`gatekeeper exited (${how}) before listening:\n${out}`)));
  });
  return {
    url,
    output: () => out,
    mark: () => out.length,
    waitFor: (re, since = 0) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!re.test(out.slice(since))) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        void exited.then((how) => reject(new Error(`gatekeeper exited (${how}) before printing ${re}:\n${out}`)));
        check();
      }),
    terminate: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
