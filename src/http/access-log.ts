// One structured access-log line per request (info level): request id, method, host, path
// WITHOUT the query string (codes and tokens travel there), status and duration. Nothing
// from headers or bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../util/log.js';

export function logAccess(log: Logger, req: IncomingMessage, res: ServerResponse): void {
  if (!log.isLevelEnabled('info')) return;
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    log.info(
      {
        reqId: req.headers['x-request-id'],
        method: req.method,
        host: req.headers.host,
        path: (req.url ?? '').split('?', 1)[0]!.slice(0, 512),
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'request',
    );
  });
}
