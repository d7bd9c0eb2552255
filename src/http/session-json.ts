// A session as the SPEC §5 `Session` JSON (LumoAuth field names), device from the
// User-Agent via ua-parser-js.
import { UAParser } from 'ua-parser-js';
import { idleExpiresAt } from '../session/model.js';
import type { SessionRecord } from '../store/types.js';
import type { Deps } from '../deps.js';

export interface SessionJson {
  id: string;
  kind: 'browser' | 'token';
  userId: string;
  clientId: string | null;
  ipAddress: string;
  userAgent: string;
  device: { type: string; os: string | null; browser: string | null };
  location: { city: string | null; country: string | null } | null;
  authMethod: string;
  amr: string[];
  mfaVerified: boolean;
  mfaVerifiedAt: string | null;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
  idleExpiresAt: string | null;
  authTime: string;
  rememberMe: boolean;
  current?: boolean;
}

export function deviceOf(userAgent: string): SessionJson['device'] {
  const ua = new UAParser(userAgent).getResult();
  const os = ua.os.name ? [ua.os.name, ua.os.version].filter(Boolean).join(' ') : null;
  const browser = ua.browser.name ? [ua.browser.name, ua.browser.major].filter(Boolean).join(' ') : null;
  return { type: ua.device.type ?? (browser ? 'desktop' : 'unknown'), os, browser };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function sessionJson(
  s: SessionRecord,
  opts: { current?: boolean; location?: SessionJson['location'] } = {},
): SessionJson {
  const idle = idleExpiresAt(s);
  return {
    id: s.id,
    kind: s.kind,
    userId: s.userId,
    clientId: s.clientId,
    ipAddress: s.ipAddress,
    userAgent: s.userAgent,
    device: deviceOf(s.userAgent),
    location: opts.location ?? null,
    authMethod: s.authMethod,
    amr: [...s.amr],
    mfaVerified: s.mfaAt !== null,
    mfaVerifiedAt: s.mfaAt === null ? null : iso(s.mfaAt),
    createdAt: iso(s.createdAt),
    lastActiveAt: iso(s.lastActiveAt),
    expiresAt: iso(s.expiresAt),
    idleExpiresAt: idle === null ? null : iso(Math.min(idle, s.expiresAt)),
    authTime: iso(s.authTime),
    rememberMe: s.rememberMe,
    ...(opts.current !== undefined ? { current: opts.current } : {}),
  };
}

/** The Session JSON with its location from the GeoIP database, when one is configured. */
export function sessionJsonFor(deps: Pick<Deps, 'geo'>, s: SessionRecord, currentId?: string | null): SessionJson {
  return sessionJson(s, {
    location: deps.geo ? deps.geo.locate(s.ipAddress) : null,
    ...(currentId ? { current: s.id === currentId } : {}),
  });
}
