// Users files for the directory tests: n realistic users (names, emails, roles) sharing one
// scrypt hash, in the simple one-key-per-line shape, and a gateway config that reads them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FIRST = ['ada', 'alan', 'barbara', 'claude', 'donald', 'edsger', 'frances', 'grace', 'hedy', 'ivan'];
const LAST = ['lovelace', 'turing', 'liskov', 'shannon', 'knuth', 'dijkstra', 'allen', 'hopper', 'lamarr'];
const ROLES = ['[]', '[staff]', '[staff, dev]', '[ops]'];

export interface GeneratedUser {
  id: string;
  username: string;
  email: string;
  name: string;
}

/** User `i` of a generated file: `${prefix}${first}.${last}${i}`, unique for distinct i. */
export function generatedUser(i: number, prefix = ''): GeneratedUser {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
  const username = `${prefix}${first}.${last}${i}`;
  const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
  return { id: `${prefix}u-${i}`, username, email: `${username}@corp.test`, name: `${cap(first)} ${cap(last)} ${i}` };
}

/** The YAML of `n` generated users (ids from `from`), optionally an admin first. */
export function usersYaml(n: number, hash: string, o: { prefix?: string; from?: number; admin?: string } = {}): string {
  const out: string[] = [];
  if (o.admin)
    out.push(
      `- id: u-${o.admin}\n  username: ${o.admin}\n  email: ${o.admin}@corp.test\n  name: The Admin\n  roles: [admin]\n  passwordHash: "${hash}"\n`,
    );
  for (let i = o.from ?? 0; i < (o.from ?? 0) + n; i++) {
    const u = generatedUser(i, o.prefix);
    out.push(
      `- id: ${u.id}\n  username: ${u.username}\n  email: ${u.email}\n  name: ${u.name}\n  roles: ${ROLES[i % ROLES.length]}\n  passwordHash: "${hash}"\n`,
    );
  }
  return out.join('');
}

/** gateway.yaml in `dir` for tenant `d` (host app.dir.test) reading users.yaml; returns its path. */
export function writeDirectoryConfig(dir: string, upstreamUrl: string, users: string): string {
  writeFileSync(join(dir, 'users.yaml'), users);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    `server: { listen: 127.0.0.1:0, publicUrl: "http://gw.dir.test" }
tenants:
  d:
    users: { file: users.yaml }
    apps:
      - { name: app, hosts: [app.dir.test], upstream: "${upstreamUrl}", routes: [{ path: /**, require: authenticated }] }
`,
  );
  return file;
}
