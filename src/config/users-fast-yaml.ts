// A fast reader for the common shape of a large users file: a top-level block list of flat
// mappings, one `key: value` per line (what `gatekeeper` docs and generators write):
//
//   - id: u-1
//     username: alice
//     roles: [admin, staff]
//     passwordHash: "$scrypt$ln=17,r=8,p=1$…$…"
//
// The YAML library needs ~100 µs and ~10 kB per such user (100k users: 10+ s, a gigabyte);
// this reads them in a few µs. It accepts only lines whose meaning is beyond doubt — plain
// scalars that can only be strings, quoted strings without escapes, flow lists of simple
// words — and answers null for anything else (comments after values, anchors, tags,
// escapes, multi-line values, numbers, booleans, tabs, a BOM, duplicate keys …), so the
// caller falls back to the YAML library and the result, errors included, is unchanged.

const ITEM = /^- ([A-Za-z][A-Za-z0-9]*): (.*)$/;
const FIELD = /^ {2}([A-Za-z][A-Za-z0-9]*): (.*)$/;
const BLANK_OR_COMMENT = /^ *(?:#.*)?$/;
// Control characters but \n (tabs and \r included), DEL, the C1 range, a BOM, and the
// Unicode line and paragraph separators: left to the YAML library.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\ufeff\u2028\u2029]/;
// Words a YAML 1.2 core schema reads as null or a boolean.
const SPECIAL = new Set(['null', 'Null', 'NULL', '~', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
// A first character that is a YAML indicator, a digit or a sign (numbers, .inf, .nan, -x …).
const RISKY_START = /^[-?:,[\]{}#&*!|>'"%@`0-9+.\s]/;

/** A plain scalar (block context) that YAML can only read as this very string; else null. */
function plain(v: string): string | null {
  if (v === '' || RISKY_START.test(v) || SPECIAL.has(v)) return null;
  if (v.endsWith(' ') || v.endsWith(':') || v.includes(': ') || v.includes(' #')) return null;
  return v;
}

/** A simple word inside a flow list: letters, digits and . _ @ - only, starting with a letter. */
const FLOW_WORD = /^[A-Za-z_][A-Za-z0-9._@-]*$/;

function value(v: string): string | string[] | null {
  const first = v[0];
  if (first === '"') {
    const m = /^"([^"\\]*)"$/.exec(v);
    return m ? (m[1] ?? '') : null;
  }
  if (first === "'") {
    const m = /^'([^']*)'$/.exec(v);
    return m ? (m[1] ?? '') : null;
  }
  if (first === '[') {
    const m = /^\[(.*)\]$/.exec(v);
    if (!m) return null;
    const inner = (m[1] ?? '').trim();
    if (inner === '') return [];
    const words = inner.split(',').map((w) => w.trim());
    return words.every((w) => FLOW_WORD.test(w) && !SPECIAL.has(w)) ? words : null;
  }
  return plain(v);
}

/**
 * The list a users file holds, when it has the simple shape above; null when it has anything
 * else (the caller then parses it with the YAML library). Values are strings or string lists.
 */
export function readSimpleUsersYaml(text: string): Record<string, string | string[]>[] | null {
  if (CONTROL.test(text)) return null;
  const out: Record<string, string | string[]>[] = [];
  let current: Record<string, string | string[]> | null = null;
  let from = 0;
  while (from < text.length) {
    let to = text.indexOf('\n', from);
    if (to < 0) to = text.length;
    const line = text.slice(from, to);
    from = to + 1;
    const item = ITEM.exec(line);
    const m = item ?? FIELD.exec(line);
    if (!m) {
      if (BLANK_OR_COMMENT.test(line)) continue;
      return null;
    }
    if (item) out.push((current = Object.create(null) as Record<string, string | string[]>));
    const key = m[1]!;
    if (!current || key in current || key === '__proto__') return null;
    const v = value(m[2]!);
    if (v === null) return null;
    current[key] = v;
  }
  // Plain objects, as the YAML library gives them.
  return out.map((o) => ({ ...o }));
}
