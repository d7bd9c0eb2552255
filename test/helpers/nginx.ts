// Runs a real nginx (Debian package `nginx`) for end-to-end tests: one foreground process
// with everything (config, pid, logs, temp dirs) in a private temp dir, on a free loopback port.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
export const NGINX_MISSING = `nginx is not installed (${NGINX_BIN}): the nginx tests need the Debian package "nginx". .ci/run installs it; by hand: apt-get install nginx`;

export interface Nginx {
  url: string;
  port: number;
  /** The access log so far (format: status method "uri" upstream=… auth=…). */
  accessLog(): string;
  /** Resolves with the first access-log line matching `re`, waiting for nginx to write it. */
  waitForLog(re: RegExp): Promise<string>;
  errorLog(): string;
  stop(): Promise<void>;
}

// status, method, uri, the app's status ($upstream_status) and the auth subrequest's status.
const LOG_FORMAT = `'$status $request_method "$request_uri" upstream=$upstream_status auth=$gk_auth_status'`;

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/**
 * `site` is the text of an nginx file for the `http {}` context (deploy/nginx/gatekeeper.conf
 * with its placeholders filled in); `__LISTEN__` in it is replaced by the port chosen here.
 */
export async function startNginx(site: string): Promise<Nginx> {
  if (!existsSync(NGINX_BIN)) throw new Error(NGINX_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'gk-nginx-'));
  const port = await freePort();
  const accessPath = join(dir, 'access.log');
  const errorPath = join(dir, 'error.log');
  const pidPath = join(dir, 'nginx.pid');
  writeFileSync(join(dir, 'site.conf'), site.replaceAll('__LISTEN__', `127.0.0.1:${port}`));
  writeFileSync(accessPath, '');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${pidPath};
error_log ${errorPath} info;
events { worker_connections 256; }
http {
  log_format gk_test ${LOG_FORMAT};
  access_log ${accessPath} gk_test;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${join(dir, 'site.conf')};
}
`,
  );

  // Watch before spawning so the pid file's creation cannot be missed.
  const dirEvents = watch(dir);
  const child = spawn(NGINX_BIN, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', errorPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  // If the test process ends without calling stop() (a crash, a teardown never registered),
  // nginx must not outlive it: a foreground nginx does not notice its parent is gone.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const failure = (why: string): Error =>
    new Error(`nginx did not start (${why}): ${stderr}${existsSync(errorPath) ? readFileSync(errorPath, 'utf8') : ''}`);

  try {
    // nginx binds its listeners before it writes the pid file, so the file means "listening".
    while (!existsSync(pidPath)) {
      const ev = await Promise.race([
        new Promise<'fs'>((resolve) => dirEvents.once('change', () => resolve('fs'))),
        exited.then(() => 'exit' as const),
        spawnFailed.then(() => 'error' as const),
      ]);
      if (ev !== 'fs') throw failure(ev === 'exit' ? `exit code ${String(child.exitCode)}` : 'spawn error');
    }
    let up = false;
    for (let attempt = 0; attempt < 50 && !up; attempt++) up = await canConnect(port);
    if (!up) throw failure(`port ${port} refuses connections`);
  } catch (err) {
    process.off('exit', killOnExit);
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    dirEvents.close();
  }

  const accessLog = (): string => readFileSync(accessPath, 'utf8');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accessLog,
    errorLog: () => readFileSync(errorPath, 'utf8'),
    // nginx logs a request after answering it, so the line can trail the response a little.
    async waitForLog(re) {
      const watcher = watch(accessPath);
      try {
        for (let changes = 0; changes < 1000; changes++) {
          const line = accessLog()
            .split('\n')
            .find((l) => re.test(l));
          if (line !== undefined) return line;
          await new Promise((resolve) => watcher.once('change', resolve));
        }
        throw new Error(`no access-log line matches ${re}:\n${accessLog()}`);
      } finally {
        watcher.close();
      }
    },
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT'); // graceful: finish the requests in flight
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
