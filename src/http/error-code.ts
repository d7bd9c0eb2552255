// The catalogue code of an error answer outside its body: the X-Auth-Error-Code header (the
// only place it can travel in a forward-auth answer or a refused upgrade) and the `code` of
// the access-log line.
import type { ServerResponse } from 'node:http';
import { ERROR_CODE_HEADER, ERRORS, type ErrorCode } from '../errors.js';

const codes = new WeakMap<ServerResponse, ErrorCode>();

/** Marks `res` as the error answer `code`: its header now, its access-log line when it ends. */
export function tagError(res: ServerResponse, code: ErrorCode): void {
  codes.set(res, code);
  if (!res.headersSent) res.setHeader(ERROR_CODE_HEADER, code);
}

export function errorCodeOf(res: ServerResponse): ErrorCode | undefined {
  return codes.get(res);
}

/**
 * A whole bodiless error answer for a socket that has no ServerResponse (a refused upgrade, a
 * request Node could not parse); the connection closes after it.
 */
export function rawErrorAnswer(code: ErrorCode, reason: string = ERRORS[code].error): string {
  return `HTTP/1.1 ${ERRORS[code].status} ${reason}\r\n${ERROR_CODE_HEADER}: ${code}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}
