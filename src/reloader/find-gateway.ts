// Finds the gateway processes a reloader may signal: in a pod with shareProcessNamespace the
// sidecar sees the gateway container's processes under /proc. A gateway is a process whose
// command line has `start` and `--config FILE` (or `--config=FILE`) for the same FILE.
import { readdirSync, readFileSync } from 'node:fs';

export function isGatewayFor(argv: readonly string[], configPath: string): boolean {
  if (!argv.includes('start') && !argv.includes('demo')) return false;
  return argv.some(
    (a, i) => ((a === '--config' || a === '-c') && argv[i + 1] === configPath) || a === `--config=${configPath}`,
  );
}

/** Pids (other than `self`) under `procDir` running a gateway for `configPath`. */
export function findGateways(configPath: string, o: { procDir?: string; self?: number } = {}): number[] {
  const proc = o.procDir ?? '/proc';
  const self = o.self ?? process.pid;
  const found: number[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name) || Number(name) === self) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`${proc}/${name}/cmdline`, 'utf8');
    } catch {
      continue; // ended meanwhile, or not ours to read
    }
    const argv = cmdline.split('\0');
    if (argv.at(-1) === '') argv.pop();
    if (isGatewayFor(argv, configPath)) found.push(Number(name));
  }
  return found;
}
