// A client that writes exact bytes to the gateway and splits what comes back into the
// responses a pipelining HTTP/1.1 client would read (RFC 9112 §6.3 message length:
// HEAD/1xx/204/304 have no body; then chunked, Content-Length, or until close).
import net from 'node:net';

export interface ParsedResponse {
  status: number;
  /** Header names lower-cased; a repeated header keeps every value. */
  headers: Record<string, string[]>;
  body: string;
  /** A 1xx other than 101 (e.g. 100 Continue): not the answer to a request. */
  interim: boolean;
}

export interface Exchange {
  /** Final responses in order (interim 1xx left out). */
  responses: ParsedResponse[];
  interim: ParsedResponse[];
  raw: Buffer;
  /** The gateway closed the connection. */
  closed: boolean;
  /** Bytes at the end that were not a complete response. */
  leftover: string;
}

export function header(r: ParsedResponse, name: string): string | undefined {
  return r.headers[name.toLowerCase()]?.join(', ');
}

interface Cut {
  res: ParsedResponse;
  end: number;
}

/** One response starting at `at`, or null when it is not complete yet. */
function cutOne(text: string, at: number, method: string | undefined, closed: boolean): Cut | null {
  const headEnd = text.indexOf('\r\n\r\n', at);
  if (headEnd < 0) return null;
  const [statusLine = '', ...lines] = text.slice(at, headEnd).split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`not a status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const status = Number(m[1]);
  const headers: Record<string, string[]> = {};
  for (const l of lines) {
    const c = l.indexOf(':');
    if (c < 0) continue;
    (headers[l.slice(0, c).trim().toLowerCase()] ??= []).push(l.slice(c + 1).trim());
  }
  let pos = headEnd + 4;
  const interim = status >= 100 && status < 200 && status !== 101;
  const mk = (body: string, end: number): Cut => ({ res: { status, headers, body, interim }, end });
  if (interim || status === 101 || status === 204 || status === 304 || method === 'HEAD') return mk('', pos);
  const te = headers['transfer-encoding']?.join(',').toLowerCase();
  if (te?.includes('chunked')) {
    let body = '';
    for (;;) {
      const lineEnd = text.indexOf('\r\n', pos);
      if (lineEnd < 0) return null;
      const size = parseInt(text.slice(pos, lineEnd).split(';', 1)[0]!, 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size in a response');
      pos = lineEnd + 2;
      if (size === 0) {
        const trailerEnd = text.indexOf('\r\n\r\n', pos - 2);
        if (trailerEnd < 0) return null;
        return mk(body, trailerEnd + 4);
      }
      if (text.length < pos + size + 2) return null;
      body += text.slice(pos, pos + size);
      pos += size + 2;
    }
  }
  const cl = headers['content-length']?.[0];
  if (cl !== undefined) {
    const n = Number(cl);
    if (text.length < pos + n) return null;
    return mk(text.slice(pos, pos + n), pos + n);
  }
  // No framing: the body runs to the end of the connection.
  return closed ? mk(text.slice(pos), text.length) : null;
}

/**
 * Splits a byte stream into responses. `methods[i]` is the method of the i-th request
 * (HEAD answers carry no body). Stops at a 101: what follows is another protocol.
 */
export function splitResponses(
  raw: Buffer,
  methods: readonly string[],
  closed: boolean,
): Omit<Exchange, 'raw' | 'closed'> {
  const text = raw.toString('latin1');
  const responses: ParsedResponse[] = [];
  const interim: ParsedResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const cut = cutOne(text, at, methods[responses.length], closed);
    if (!cut) break;
    at = cut.end;
    if (cut.res.interim) interim.push(cut.res);
    else responses.push(cut.res);
    if (cut.res.status === 101) return { responses, interim, leftover: '' };
  }
  return { responses, interim, leftover: text.slice(at) };
}

/**
 * Writes `bytes` on a new connection (from `localAddress`, e.g. 127.0.0.2 to be an
 * untrusted peer) and reads until the gateway closes it, `expect` final responses or a 101
 * have arrived, or nothing came for `idleMs`.
 */
export function exchange(
  base: string,
  bytes: string | Buffer,
  opts: { methods: readonly string[]; expect?: number; idleMs?: number; localAddress?: string },
): Promise<Exchange> {
  const u = new URL(base);
  const expect = opts.expect ?? opts.methods.length;
  return new Promise((resolve, reject) => {
    const sock = net.connect({
      port: Number(u.port),
      host: u.hostname,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    const chunks: Buffer[] = [];
    let closed = false;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const raw = Buffer.concat(chunks);
      sock.destroy();
      try {
        resolve({ ...splitResponses(raw, opts.methods, closed), raw, closed });
      } catch (err) {
        reject(err instanceof Error ? new Error(`${err.message}\n--- raw answer ---\n${raw.toString('latin1')}`) : err);
      }
    };
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      try {
        const { responses } = splitResponses(Buffer.concat(chunks), opts.methods, false);
        // After a 101 the connection carries another protocol: nothing more to read as HTTP.
        if (responses.length >= expect || responses.at(-1)?.status === 101) finish();
      } catch {
        // Garbage: wait for the close or the idle timeout and report it whole.
      }
    });
    sock.on('error', (err) => (chunks.length > 0 ? finish() : reject(err)));
    sock.on('end', () => {
      closed = true;
      finish();
    });
    sock.on('close', () => {
      closed = true;
      finish();
    });
    sock.setTimeout(opts.idleMs ?? 3000, finish);
    sock.write(bytes);
  });
}
