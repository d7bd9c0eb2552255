// Asserting an error answer's catalogue code (docs/errors.md) wherever it travels: the
// X-Auth-Error-Code header always, and the JSON `code` member or the HTML page's small print.
import type { Test } from 'tap';
import type { Response, RawResponse } from './http.js';

/** The answer is the error `code`: its header and, by content type, its JSON `code` or page small print. */
export function hasCode(t: Test, res: Response, code: string, what = ''): void {
  const label = what ? `${what}: ` : '';
  t.equal(res.headers['x-auth-error-code'], code, `${label}X-Auth-Error-Code ${code}`);
  const type = String(res.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) t.equal(res.json().code, code, `${label}JSON code ${code}`);
  else if (type.startsWith('text/html') && res.body !== '')
    t.match(res.body, `Error code: <code>${code}</code>`, `${label}page small print ${code}`);
}

/** A bodiless raw answer (refused upgrade, parser error): the code is in its header. */
export function rawCode(res: Pick<RawResponse, 'head'>): string | undefined {
  return /\r\nx-auth-error-code: *([^\r\n]*)/i.exec(res.head)?.[1];
}
