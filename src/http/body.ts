// Reading small request bodies (forms and JSON) with a hard size limit; malformed input
// is a 4xx GatewayError, never an exception that escapes.
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';

const LIMIT = 16 * 1024;

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new GatewayError('ERR_GK_PAYLOAD_TOO_LARGE', `content-length ${declared}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new GatewayError('ERR_GK_PAYLOAD_TOO_LARGE', `body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export async function readForm(req: IncomingMessage, limit = LIMIT): Promise<URLSearchParams> {
  if (mediaType(req) !== 'application/x-www-form-urlencoded')
    throw new GatewayError('ERR_GK_UNSUPPORTED_MEDIA_TYPE', mediaType(req));
  return new URLSearchParams(await readBody(req, limit));
}

export async function readJson(req: IncomingMessage, limit = LIMIT): Promise<unknown> {
  if (mediaType(req) !== 'application/json') throw new GatewayError('ERR_GK_UNSUPPORTED_MEDIA_TYPE', mediaType(req));
  const text = await readBody(req, limit);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError('ERR_GK_BAD_REQUEST', 'invalid JSON body');
  }
}

/** A single form field as a bounded string; repeated or over-long fields are bad input. */
export function field(form: URLSearchParams, name: string, maxLength = 1024): string {
  const all = form.getAll(name);
  if (all.length > 1) throw new GatewayError('ERR_GK_BAD_REQUEST', `repeated field ${name}`);
  const v = all[0] ?? '';
  if (v.length > maxLength) throw new GatewayError('ERR_GK_BAD_REQUEST', `field ${name} too long`);
  return v;
}
