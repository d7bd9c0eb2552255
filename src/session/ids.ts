// Session ids and secrets. A session id is public; it embeds a short tag derived from
// (tenant, user) so that the Redis store can keep a user's sessions and their index in
// one hash slot (Cluster) and still find a session from its id alone.
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'sess_';
const TAG_LEN = 11; // base64url of 8 bytes
const RAND_LEN = 22; // base64url of 16 bytes
const ID_RE = /^sess_[A-Za-z0-9_-]{33}$/;

export function userTag(tenant: string, userId: string): string {
  return createHash('sha256').update(`${tenant}\0${userId}`).digest().subarray(0, 8).toString('base64url');
}

export function newSessionId(tenant: string, userId: string): string {
  return PREFIX + userTag(tenant, userId) + randomBytes(16).toString('base64url');
}

export function isSessionId(value: string): boolean {
  return value.length === PREFIX.length + TAG_LEN + RAND_LEN && ID_RE.test(value);
}

/** The user tag inside a session id (caller has checked isSessionId). */
export function tagOfSessionId(id: string): string {
  return id.slice(PREFIX.length, PREFIX.length + TAG_LEN);
}

/** 256 random bits, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
