// Reads a Set-Cookie line into its parts so tests can assert on each attribute.
export interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string | true>;
  maxAge: number | null;
}

export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string | true>();
  for (const a of attrs) {
    const i = a.indexOf('=');
    if (i < 0) attributes.set(a.toLowerCase(), true);
    else attributes.set(a.slice(0, i).toLowerCase(), a.slice(i + 1));
  }
  const ma = attributes.get('max-age');
  return {
    name: pair.slice(0, eq),
    value: decodeURIComponent(pair.slice(eq + 1)),
    attributes,
    maxAge: typeof ma === 'string' ? Number(ma) : null,
  };
}
