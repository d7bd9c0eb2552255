// The error catalogue (src/errors.ts) against its users and its documentation: every code
// is well-formed and unique, documented in docs/errors.md with its status and `error`, and
// reachable (named in src/ outside the catalogue); no documented code is missing from it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ERRORS, PROCESS_ERRORS } from '../../src/errors.js';
import { rawErrorAnswer } from '../../src/http/error-code.js';
import { OAuthError, type OAuthErrorName } from '../../src/tokens/oauth-error.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const codes = [...Object.keys(ERRORS), ...Object.keys(PROCESS_ERRORS)];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** docs/errors.md's catalogue rows: | `CODE` | status | `error` | meaning | action | */
function documentedRows(): Map<string, { status: string; error: string; cells: string[] }> {
  const rows = new Map<string, { status: string; error: string; cells: string[] }>();
  for (const line of readFileSync(join(root, 'docs/errors.md'), 'utf8').split('\n')) {
    const m = /^\| `(ERR_GK_[A-Z_]+)` \|(.*)\|$/.exec(line);
    if (!m) continue;
    const cells = m[2]!.split(' | ').map((c) => c.trim());
    if (rows.has(m[1]!)) throw new Error(`${m[1]} documented twice`);
    rows.set(m[1]!, { status: cells[0]!, error: cells[1]!.replace(/`/g, ''), cells });
  }
  return rows;
}

t.test('every code is well-formed and unique', async (t) => {
  for (const code of codes) t.match(code, /^ERR_GK_[A-Z][A-Z_]*[A-Z]$/, code);
  t.equal(new Set(codes).size, codes.length, 'no code in both sections');
  t.equal(new Set(codes.map((c) => c.toLowerCase())).size, codes.length, 'unique ignoring case');
  for (const [code, e] of Object.entries(ERRORS)) {
    t.ok(e.status >= 400 && e.status <= 599, `${code}: an error status`);
    t.ok(e.message.length > 0 && e.error.length > 0, `${code}: message and error label`);
  }
});

t.test('every code is documented with its status and error, and nothing else is', async (t) => {
  const rows = documentedRows();
  for (const [code, e] of Object.entries(ERRORS)) {
    const row = rows.get(code);
    if (!row) {
      t.fail(`${code} is not in docs/errors.md`);
      continue;
    }
    t.equal(row.status, String(e.status), `${code}: status`);
    t.equal(row.error, e.error, `${code}: error`);
    t.ok(
      row.cells.length === 4 && row.cells[2]!.length > 10 && row.cells[3]!.length > 5,
      `${code}: meaning and action`,
    );
  }
  for (const code of Object.keys(PROCESS_ERRORS)) t.ok(rows.has(code), `${code} is in docs/errors.md`);
  for (const code of rows.keys()) t.ok(codes.includes(code), `${code} (documented) is in the catalogue`);
});

t.test('every code is reachable: named in src/ outside the catalogue', async (t) => {
  const text = sourceFiles(join(root, 'src'))
    .filter((f) => !f.endsWith(join('src', 'errors.ts')))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  for (const code of codes) t.ok(new RegExp(`'${code}'`).test(text), `${code} is used in src/`);
});

t.test('OAuth errors: the RFC error, its catalogue code and status', async (t) => {
  const expected: Record<OAuthErrorName, [string, number]> = {
    invalid_request: ['ERR_GK_OAUTH_INVALID_REQUEST', 400],
    invalid_client: ['ERR_GK_OAUTH_INVALID_CLIENT', 401],
    invalid_grant: ['ERR_GK_OAUTH_INVALID_GRANT', 400],
    unauthorized_client: ['ERR_GK_OAUTH_UNAUTHORIZED_CLIENT', 400],
    unsupported_grant_type: ['ERR_GK_OAUTH_UNSUPPORTED_GRANT_TYPE', 400],
    invalid_scope: ['ERR_GK_OAUTH_INVALID_SCOPE', 400],
  };
  for (const [name, [code, status]] of Object.entries(expected)) {
    const e = new OAuthError(name as OAuthErrorName, 'why');
    t.equal(e.code, code, name);
    t.equal(e.status, status, `${name} status`);
    t.equal(ERRORS[e.code].error, name, `${code} carries the RFC error`);
  }
});

t.test('a bodiless answer carries its code in the header', async (t) => {
  t.equal(
    rawErrorAnswer('ERR_GK_HEADERS_TOO_LARGE', 'Request Header Fields Too Large'),
    'HTTP/1.1 431 Request Header Fields Too Large\r\nx-auth-error-code: ERR_GK_HEADERS_TOO_LARGE\r\n' +
      'Connection: close\r\nContent-Length: 0\r\n\r\n',
  );
  t.match(rawErrorAnswer('ERR_GK_CROSS_ORIGIN'), /^HTTP\/1\.1 403 invalid_request\r\n/);
});
