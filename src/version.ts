// The package's version (package.json at the package root, next to dist/ and src/).
import { readFileSync } from 'node:fs';

/** `version` of this package's package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}
