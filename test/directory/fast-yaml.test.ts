// The fast users-file reader never disagrees with the YAML library: for every file it
// accepts, its list is exactly what YAML.parse gives; everything doubtful it declines
// (null), and the loader then parses with the library as before. Checked on hand-picked
// traps and on generated files built from YAML's special characters.
import fc from 'fast-check';
import t from 'tap';
import YAML from 'yaml';
import { readSimpleUsersYaml } from '../../src/config/users-fast-yaml.js';
import { loadUsersFile } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/load.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const item = (v: string) => `- id: u1\n  name: ${v}\n`;

t.test('the simple shape is read as the YAML library reads it', async (t) => {
  const text =
    '# users\n\n- id: u-1\n  username: alice\n  email: alice@x.test\n  name: Alice Liddell\n  roles: [admin, staff]\n' +
    '  passwordHash: "$scrypt$ln=10,r=8,p=1$abc$def"\n  # a comment\n- id: u-2\n  username: \'bob\'\n  roles: []\n' +
    "  name: O'Brien#1 x:y a-b {c} [d] $e é\n";
  const fast = readSimpleUsersYaml(text);
  t.not(fast, null);
  t.same(fast, YAML.parse(text));
});

t.test('declined: anything whose meaning is not beyond doubt', async (t) => {
  const traps = [
    '123',
    '1.5',
    '-1',
    '+1',
    '.5',
    '.inf',
    '0x1F',
    '0o17',
    'null',
    'Null',
    '~',
    'true',
    'FALSE',
    'a: b',
    'a #c',
    'x:',
    '&anchor a',
    '*alias',
    '!tag x',
    '|',
    '>',
    "'it''s'",
    '"a\\"b"',
    '"\\u0041"',
    '[1, 2]',
    '[a, ]',
    '[a: b]',
    '[null]',
    '[true]',
    '["a"]',
    '{a: b}',
    '- x',
    '? x',
    '%x',
    '@x',
    '`x',
    'a\tb',
    'trailing ',
    '"x" ',
    '',
    '#c',
    '"unterminated',
    "'unterminated",
  ];
  for (const v of traps) t.equal(readSimpleUsersYaml(item(v)), null, `declined: name: ${JSON.stringify(v)}`);
  for (const text of [
    '\ufeff- id: a\n',
    '- id: a\r\n',
    '---\n- id: a\n',
    '- id: a\n  id: b\n',
    '- id: a\n   name: x\n',
    '- id: a\n name: x\n',
    '  name: x\n',
    '- { id: a }\n',
    '- id: a\n  __proto__: x\n',
    'users:\n  - id: a\n',
    '- id: a\n  roles:\n    - x\n',
    '- id: a\n  name: "multi\n    line"\n',
  ])
    t.equal(readSimpleUsersYaml(text), null, `declined: ${JSON.stringify(text)}`);
});

t.test('generated files: accepted ⇒ identical to YAML.parse', async (t) => {
  const chars = fc.constantFrom(...'aZ09 -_.:#,[]{}&*!|>\'"%@`$=~?+/\\\t\r'.split(''), 'é', '\u2028', '\u0085');
  const str = fc.string({ unit: chars, maxLength: 8 });
  const flow = fc.array(str, { maxLength: 3 }).map((ws) => `[${ws.join(', ')}]`);
  const quoted = str.map((s) => `"${s}"`);
  const single = str.map((s) => `'${s}'`);
  const value = fc.oneof(str, flow, quoted, single);
  const key = fc.constantFrom('id', 'name', 'email', 'roles', 'x');
  const line = fc.oneof(
    fc.tuple(key, value).map(([k, v]) => `- ${k}: ${v}`),
    fc.tuple(key, value).map(([k, v]) => `  ${k}: ${v}`),
    str.map((s) => `#${s}`),
    fc.constant(''),
  );
  let accepted = 0;
  fc.assert(
    fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (lines) => {
      const text = `${lines.join('\n')}\n`;
      const fast = readSimpleUsersYaml(text);
      if (fast === null) return true;
      accepted++;
      let lib: unknown;
      try {
        lib = YAML.parse(text, { uniqueKeys: true });
      } catch {
        return false; // the library refuses what the fast reader accepted
      }
      return JSON.stringify(fast) === JSON.stringify(lib ?? []);
    }),
    { numRuns: 3000, seed: 16_001 },
  );
  t.ok(accepted > 100, `many generated files were accepted (${accepted}) and matched`);
});

t.test('the loader gives the same users and the same errors either way', async (t) => {
  const dir = t.testdir({});
  const hash = '$scrypt$ln=10,r=8,p=1$5z4UMS4yXOrJ1AcOE7rSiw$mg5fAX2Om8P/YuBqX5u8DVWrVv4FsM9tOKHmpwAfVdg';
  const simple = `- id: a\n  username: ann\n  passwordHash: "${hash}"\n- id: b\n  username: Bob\n  roles: [x]\n  passwordHash: "${hash}"\n`;
  const flowStyle = `- { id: a, username: ann, passwordHash: "${hash}" }\n- { id: b, username: Bob, roles: [x], passwordHash: "${hash}" }\n`;
  t.not(readSimpleUsersYaml(simple), null, 'the fast reader takes the first file');
  t.equal(readSimpleUsersYaml(flowStyle), null, 'and declines the second');
  writeFileSync(join(dir, 'simple.yaml'), simple);
  writeFileSync(join(dir, 'flow.yaml'), flowStyle);
  t.same(loadUsersFile(join(dir, 'simple.yaml')), loadUsersFile(join(dir, 'flow.yaml')));

  // Errors: a duplicate username (case-insensitive) and a bad hash, found by the schema after the fast read.
  const bad = `${simple}- id: c\n  username: ANN\n  passwordHash: nope\n`;
  const badFlow = `${flowStyle}- { id: c, username: ANN, passwordHash: nope }\n`;
  writeFileSync(join(dir, 'bad.yaml'), bad);
  writeFileSync(join(dir, 'bad-flow.yaml'), badFlow);
  const errors = (f: string) => {
    try {
      loadUsersFile(join(dir, f), { label: 'users' });
      return [];
    } catch (e) {
      return (e as ConfigError).errors.map((x) => ({ ...x, path: x.path.replace(join(dir, f), 'FILE') }));
    }
  };
  t.same(errors('bad.yaml'), errors('bad-flow.yaml'), 'the same errors');
  t.match(errors('bad.yaml'), [
    { path: 'users.file(FILE)[2].passwordHash', message: /not a valid scrypt hash/ },
    { path: 'users.file(FILE)[2].username', message: /duplicate username "ANN" \(also at \[0\]\)/ },
  ]);
});
