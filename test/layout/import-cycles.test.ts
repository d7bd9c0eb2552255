// No module of src/ imports itself back, through any chain of imports — type-only imports
// included: a step, an authenticator or a store concern must be loadable (and testable) on
// its own, without dragging in what builds the gateway. deps.ts is only the shape of the
// dependencies; build-deps.ts builds them. Found with TypeScript's own import scanner.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import ts from 'typescript';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The src/ modules a file imports: static, type-only, re-exports and `import('…')` types. */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) specifiers.push(m[1]!);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')))
    .filter((f) => known.has(f));
}

/** Strongly connected components of more than one module (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

t.test('the scanner sees the imports it must (a control)', async (t) => {
  const files = sources(SRC);
  const known = new Set(files);
  const scope = importsOf(join(SRC, 'pipeline/scope.ts'), known).map((f) => relative(SRC, f));
  t.ok(scope.includes('authn/identity.ts'), 'a type-only import');
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
  ]);
  t.same(
    cycles(graph).map((c) => c.sort()),
    [['a', 'b', 'c']],
    'a three-module cycle is found',
  );
});

t.test('src/ has no import cycle', async (t) => {
  const files = sources(SRC);
  const known = new Set(files);
  const graph = new Map(files.map((f) => [f, importsOf(f, known)]));
  const found = cycles(graph).map((c) => c.map((f) => relative(SRC, f)).sort());
  t.same(found, [], found.map((c) => c.join(' <-> ')).join('; ') || 'none');
});
