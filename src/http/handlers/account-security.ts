// /t/{slug}/account/security (SPEC §13): the user's second factors — enrol an authenticator
// app (TOTP) or a security key / passkey (WebAuthn), recovery codes shown once, remove a
// factor. Changing factors when one exists needs a second factor checked within the last
// ten minutes (a stolen session cannot quietly add its own authenticator or remove the
// user's). The first factor a user enrols counts as their second-factor check of this
// session, so a tenant that requires one lets them on at once.
import { randomBytes } from 'node:crypto';
import type { Deps } from '../../deps.js';
import { GatewayError } from '../../errors.js';
import { withRememberedChallenge, takeChallenge } from '../../mfa/challenges.js';
import { totpAad } from '../../mfa/crypto.js';
import { newRecoveryCodes, normalizeRecoveryCode } from '../../mfa/recovery-codes.js';
import { amrWith, webAuthnAmr } from '../../mfa/second-factor.js';
import { matchTotp, newTotpSecret, totpQrSvg, totpUri } from '../../mfa/totp.js';
import { registrationOptions, verifyRegistration } from '../../mfa/webauthn.js';
import { recordSecondFactor, remainingMaxAge, type ReauthDeps } from '../../session/service.js';
import { serializeSessionCookie } from '../../session/cookie.js';
import { MAX_FACTORS_PER_USER, type FactorRecord, type WebAuthnFactor } from '../../store/factors.js';
import { noticeFrom } from '../../ui/format.js';
import {
  recoveryCodesPage,
  SECURITY_NOTICES,
  securityPage,
  securityPath,
  toFactorView,
  totpSetupPage,
} from '../../ui/security-page.js';
import { field } from '../body.js';
import { requireUser, type Caller } from '../caller.js';
import type { GatewayContext } from '../context.js';
import type { CurrentSessionDeps } from '../current-session.js';
import { safeRedirect } from '../redirect.js';
import { relyingPartyFor } from '../relying-party.js';
import { redirect, sendErrorPage, sendHtml, sendJson } from '../respond.js';
import { secondStepUrl } from '../second-step.js';
import { parseJsonField } from '../login-form.js';
import { backTo, pageAction, pageViewer, type Viewer } from './pages-common.js';

type SecurityDeps = CurrentSessionDeps & ReauthDeps & Pick<Deps, 'factors' | 'mfaCrypto' | 'federation' | 'audit'>;

/** How recent a second factor must be to change factors when the user holds one. */
export const FACTOR_CHANGE_FRESHNESS_S = 600;
/** How long a TOTP setup page's secret may be confirmed. */
const TOTP_SETUP_MS = 15 * 60_000;
const FORM_LIMIT = 64 * 1024;

const newFactorId = (): string => `fac_${randomBytes(16).toString('base64url')}`;

function rdOf(ctx: GatewayContext<unknown>, raw: string | null): string | null {
  if (raw === null || raw === '') return null;
  return safeRedirect(raw, { publicUrl: ctx.publicUrl, hosts: ctx.tenant.appHosts });
}

/** Back to the security page (keeping rd), with a flash. */
function back(ctx: GatewayContext<unknown>, rd: string | null, flash: { done?: string; error?: string }): void {
  const path = securityPath(ctx.tenant.slug);
  if (rd === null) return backTo(ctx, path, flash);
  const q = new URLSearchParams({ rd });
  if (flash.done) q.set('done', flash.done);
  if (flash.error) q.set('error', flash.error);
  redirect(ctx.res, 303, `${path}?${q.toString()}`);
}

/**
 * A user who holds a factor changes factors only with a recent second factor; else the
 * browser is sent to the second step (303 for forms) and false is returned.
 */
function freshEnough(
  ctx: GatewayContext<SecurityDeps>,
  session: { mfaAt: number | null },
  factors: readonly FactorRecord[],
  status: 302 | 303,
  rd: string | null,
): boolean {
  if (factors.length === 0) return true;
  const at = session.mfaAt;
  if (at !== null && ctx.deps.clock.now() - at <= FACTOR_CHANGE_FRESHNESS_S * 1000) return true;
  const here =
    rd === null ? securityPath(ctx.tenant.slug) : `${securityPath(ctx.tenant.slug)}?rd=${encodeURIComponent(rd)}`;
  redirect(ctx.res, status, secondStepUrl(ctx.tenant.slug, here, FACTOR_CHANGE_FRESHNESS_S));
  return false;
}

export async function getSecurity(ctx: GatewayContext<SecurityDeps>): Promise<void> {
  const viewer = await pageViewer(ctx, { enrolling: true });
  if (!viewer) return;
  const { tenant, deps } = ctx;
  const userId = viewer.current.user.id;
  const factors = await deps.factors.listFactors(tenant.slug, userId);
  sendHtml(
    ctx.res,
    200,
    securityPage({
      slug: tenant.slug,
      nav: viewer.nav,
      factors: factors.map(toFactorView),
      recoveryCodesLeft: await deps.factors.recoveryCodesLeft(tenant.slug, userId),
      offer: { totp: tenant.settings.mfa.totp, webauthn: tenant.settings.mfa.webauthn },
      mustEnrol: tenant.settings.mfa.required && factors.length === 0,
      rd: rdOf(ctx, ctx.url.searchParams.get('rd')),
      nowMs: deps.clock.now(),
      notice: noticeFrom(ctx.url.searchParams, SECURITY_NOTICES),
    }),
  );
}

/** The TOTP setup's secret travels sealed in the form, bound to this session and user. */
const setupAad = (tenant: string, userId: string, sessionId: string): string =>
  `totp-setup\0${tenant}\0${userId}\0${sessionId}`;

async function renderTotpSetup(
  ctx: GatewayContext<SecurityDeps>,
  viewer: Pick<Viewer, 'nav'> & { userId: string; username: string; sessionId: string },
  secret: string,
  expiresAt: number,
  rd: string | null,
  error?: string,
  setupId: string = randomBytes(16).toString('base64url'),
): Promise<void> {
  const { tenant, deps } = ctx;
  const pending = deps.mfaCrypto.sealer.seal(
    JSON.stringify({ secret, expiresAt, id: setupId }),
    setupAad(tenant.slug, viewer.userId, viewer.sessionId),
  );
  const qrSvg = await totpQrSvg(totpUri(secret, { issuer: tenant.config.displayName, account: viewer.username }));
  const page = totpSetupPage({
    slug: tenant.slug,
    nav: viewer.nav,
    qrSvg,
    secret,
    pending,
    rd,
    ...(error !== undefined ? { error, errorCode: 'ERR_GK_MFA_FAILED' } : {}),
  });
  if (error === undefined) return sendHtml(ctx.res, 200, page);
  sendErrorPage(ctx.res, 'ERR_GK_MFA_FAILED', page);
}

export async function getTotpSetup(ctx: GatewayContext<SecurityDeps>): Promise<void> {
  const viewer = await pageViewer(ctx, { enrolling: true });
  if (!viewer) return;
  const { tenant, deps } = ctx;
  const rd = rdOf(ctx, ctx.url.searchParams.get('rd'));
  if (!tenant.settings.mfa.totp) return back(ctx, rd, { error: 'not-offered' });
  const { user, session } = viewer.current;
  const factors = await deps.factors.listFactors(tenant.slug, user.id);
  if (factors.some((f) => f.kind === 'totp')) return back(ctx, rd, { error: 'totp-exists' });
  if (!freshEnough(ctx, session, factors, 302, rd)) return;
  await renderTotpSetup(
    ctx,
    { nav: viewer.nav, userId: user.id, username: user.username, sessionId: session.id },
    newTotpSecret(),
    deps.clock.now() + TOTP_SETUP_MS,
    rd,
  );
}

/**
 * After a factor was added: the session records a second-factor check when it had none
 * (a first enrolment); recovery codes are made and shown once when the user has none.
 */
async function afterEnrolment(
  ctx: GatewayContext<SecurityDeps>,
  caller: Caller & { session: NonNullable<Caller['session']>; user: NonNullable<Caller['user']> },
  nav: Viewer['nav'],
  amr: readonly string[],
  done: string,
  rd: string | null,
): Promise<void> {
  const { tenant, deps } = ctx;
  const cookies: string[] = [];
  if (caller.session.mfaAt === null) {
    const updated = await recordSecondFactor(deps, caller.session, amrWith(caller.session.amr, { amr }));
    if (updated)
      cookies.push(
        serializeSessionCookie(tenant.cookie, updated.cookieValue, remainingMaxAge(updated.session, deps.clock.now())),
      );
  }
  const continueTo = rd ?? `${securityPath(tenant.slug)}?done=${done}`;
  if ((await deps.factors.recoveryCodesLeft(tenant.slug, caller.user.id)) > 0)
    return redirect(ctx.res, 303, continueTo, cookies.length > 0 ? { 'set-cookie': cookies } : {});
  const codes = await issueRecoveryCodes(ctx, caller.user.id);
  sendHtml(
    ctx.res,
    200,
    recoveryCodesPage({ slug: tenant.slug, nav, codes, continueTo }),
    cookies.length > 0 ? { 'set-cookie': cookies } : {},
  );
}

async function issueRecoveryCodes(ctx: GatewayContext<SecurityDeps>, userId: string): Promise<string[]> {
  const { tenant, deps } = ctx;
  const codes = newRecoveryCodes();
  const hashes = codes.map((c) => deps.mfaCrypto.hashRecoveryCode(normalizeRecoveryCode(c)!));
  await deps.factors.replaceRecoveryCodes(tenant.slug, userId, hashes, deps.clock.now());
  deps.audit.emit('mfa_enrolled', { tenant: tenant.slug, userId, ip: ctx.clientIp, method: 'recovery_codes' });
  return codes;
}

/** The nav of a page answered to a form post (the caller's own CSRF token and name). */
function navOf(ctx: GatewayContext<SecurityDeps>, caller: Caller): Viewer['nav'] {
  return {
    tenantName: ctx.tenant.config.displayName,
    username: caller.user?.username ?? '',
    isAdmin: caller.user?.roles.includes('admin') ?? false,
    csrfToken: caller.csrfToken ?? '',
  };
}

type UserCaller = Caller & { session: NonNullable<Caller['session']>; user: NonNullable<Caller['user']> };

async function securityAction(ctx: GatewayContext<SecurityDeps>, limit?: number) {
  const action = await pageAction(ctx, 'user', securityPath(ctx.tenant.slug), { mfa: 'enrolling' }, limit);
  if (!action) return null;
  const { caller, form } = action;
  if (!caller.user || !caller.session) throw new GatewayError('ERR_GK_FORBIDDEN', 'a user session is required');
  return { caller: caller as UserCaller, form, rd: rdOf(ctx, field(form, 'rd', 4096)) };
}

export async function postTotpSetup(ctx: GatewayContext<SecurityDeps>): Promise<void> {
  const a = await securityAction(ctx);
  if (!a) return;
  const { tenant, deps } = ctx;
  const { caller, form, rd } = a;
  if (!tenant.settings.mfa.totp) return back(ctx, rd, { error: 'not-offered' });
  const factors = await deps.factors.listFactors(tenant.slug, caller.user.id);
  if (!freshEnough(ctx, caller.session, factors, 303, rd)) return;
  const opened = deps.mfaCrypto.sealer.open(
    field(form, 'pending', 2048),
    setupAad(tenant.slug, caller.user.id, caller.session.id),
  );
  const setup = opened === null ? null : (JSON.parse(opened) as { secret: string; expiresAt: number; id: string });
  const now = deps.clock.now();
  if (!setup || setup.expiresAt < now) return back(ctx, rd, { error: 'totp-failed' });
  // One authenticator app per user: a code then has one factor to be used once on.
  if (factors.some((f) => f.kind === 'totp')) return back(ctx, rd, { error: 'totp-exists' });
  const step = matchTotp(setup.secret, field(form, 'code', 32).replace(/\s+/g, ''), now);
  if (step === null) {
    const who = {
      nav: navOf(ctx, caller),
      userId: caller.user.id,
      username: caller.user.username,
      sessionId: caller.session.id,
    };
    return renderTotpSetup(
      ctx,
      who,
      setup.secret,
      setup.expiresAt,
      rd,
      'That code is not right. Check the app and try the current code.',
      setup.id,
    );
  }
  // A setup page's secret enrols once, however often its form is posted.
  if (!(await deps.federation.markOnce(tenant.slug, `totp-setup:${setup.id}`, TOTP_SETUP_MS)))
    return back(ctx, rd, { error: 'totp-failed' });
  const id = newFactorId();
  const added = await deps.factors.addFactor(
    {
      kind: 'totp',
      id,
      tenant: tenant.slug,
      userId: caller.user.id,
      name: 'Authenticator app',
      createdAt: now,
      lastUsedAt: now,
      secretBox: deps.mfaCrypto.sealer.seal(setup.secret, totpAad(tenant.slug, caller.user.id, id)),
      // The confirming code is used: it cannot sign in afterwards.
      lastStep: step,
    },
    MAX_FACTORS_PER_USER,
  );
  if (!added.ok) return back(ctx, rd, { error: added.reason === 'limit' ? 'factor-limit' : 'duplicate-factor' });
  deps.audit.emit('mfa_enrolled', {
    tenant: tenant.slug,
    userId: caller.user.id,
    sessionId: caller.session.id,
    ip: ctx.clientIp,
    method: 'totp',
  });
  await afterEnrolment(ctx, caller, navOf(ctx, caller), ['otp'], 'totp-added', rd);
}

/** JSON: options for navigator.credentials.create(), the challenge kept for this session. */
export async function postWebAuthnOptions(ctx: GatewayContext<SecurityDeps>): Promise<void> {
  const { tenant, deps } = ctx;
  const caller = await requireUser(ctx, { credentials: 'session-cookie', mfa: 'enrolling' });
  ctx.req.resume();
  if (!tenant.settings.mfa.webauthn) throw new GatewayError('ERR_GK_NOT_FOUND', 'webauthn not offered');
  const factors = await deps.factors.listFactors(tenant.slug, caller.user.id);
  const at = caller.session.mfaAt;
  if (factors.length > 0 && (at === null || deps.clock.now() - at > FACTOR_CHANGE_FRESHNESS_S * 1000))
    throw new GatewayError(
      'ERR_GK_MFA_REQUIRED',
      'adding a factor needs a recent second factor',
      FACTOR_CHANGE_FRESHNESS_S,
    );
  if (factors.length >= MAX_FACTORS_PER_USER) throw new GatewayError('ERR_GK_FACTOR_LIMIT', 'factor limit');
  const options = await registrationOptions(
    relyingPartyFor(ctx),
    { id: caller.user.id, username: caller.user.username, name: caller.user.name },
    factors.filter((f): f is WebAuthnFactor => f.kind === 'webauthn'),
  );
  sendJson(
    ctx.res,
    200,
    await withRememberedChallenge(deps.federation, tenant.slug, options, {
      purpose: 'register',
      userId: caller.user.id,
      boundTo: `session:${caller.session.id}`,
    }),
  );
}

/** A credential name as a user typed it: one line, no control characters, at most 64 characters. */
export function cleanFactorName(raw: string, fallback: string): string {
  const name = raw
    // Lone surrogates (possible in JSON input) cannot be stored as UTF-8: replaced.
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return [...name].slice(0, 64).join('') || fallback;
}

export async function postWebAuthnRegister(ctx: GatewayContext<SecurityDeps>): Promise<void> {
  const a = await securityAction(ctx, FORM_LIMIT);
  if (!a) return;
  const { tenant, deps } = ctx;
  const { caller, form, rd } = a;
  if (!tenant.settings.mfa.webauthn) return back(ctx, rd, { error: 'not-offered' });
  const response = parseJsonField(field(form, 'response', FORM_LIMIT));
  const issued = await takeChallenge(deps.federation, tenant.slug, response, 'register');
  // Only this session's own challenge: not another user's, not another browser's.
  if (!issued || issued.userId !== caller.user.id || issued.boundTo !== `session:${caller.session.id}`)
    return back(ctx, rd, { error: 'webauthn-failed' });
  const reg = await verifyRegistration(relyingPartyFor(ctx), response, issued.challenge);
  if (!reg) return back(ctx, rd, { error: 'webauthn-failed' });
  const now = deps.clock.now();
  const factor: WebAuthnFactor = {
    kind: 'webauthn',
    id: newFactorId(),
    tenant: tenant.slug,
    userId: caller.user.id,
    name: cleanFactorName(field(form, 'name', 256), reg.discoverable ? 'Passkey' : 'Security key'),
    createdAt: now,
    lastUsedAt: null,
    credentialId: reg.credentialId,
    publicKey: reg.publicKey,
    counter: reg.counter,
    transports: reg.transports,
    discoverable: reg.discoverable,
    deviceType: reg.deviceType,
    backedUp: reg.backedUp,
  };
  const added = await deps.factors.addFactor(factor, MAX_FACTORS_PER_USER);
  if (!added.ok) return back(ctx, rd, { error: added.reason === 'limit' ? 'factor-limit' : 'duplicate-factor' });
  deps.audit.emit('mfa_enrolled', {
    tenant: tenant.slug,
    userId: caller.user.id,
    sessionId: caller.session.id,
    ip: ctx.clientIp,
    method: 'webauthn',
  });
  await afterEnrolment(ctx, caller, navOf(ctx, caller), webAuthnAmr(factor, reg.userVerified), 'webauthn-added', rd);
}

export async function postRecoveryCodes(ctx: GatewayContext<SecurityDeps>): Promise<void> {
  const a = await securityAction(ctx);
  if (!a) return;
  const { tenant, deps } = ctx;
  const { caller, rd } = a;
  const factors = await deps.factors.listFactors(tenant.slug, caller.user.id);
  if (factors.length === 0) return back(ctx, rd, { error: 'no-factor' });
  if (!freshEnough(ctx, caller.session, factors, 303, rd)) return;
  const codes = await issueRecoveryCodes(ctx, caller.user.id);
  const continueTo = rd ?? `${securityPath(tenant.slug)}?done=codes-generated`;
  sendHtml(ctx.res, 200, recoveryCodesPage({ slug: tenant.slug, nav: navOf(ctx, caller), codes, continueTo }));
}

export async function postRemoveFactor(ctx: GatewayContext<SecurityDeps>): Promise<void> {
  const a = await securityAction(ctx);
  if (!a) return;
  const { tenant, deps } = ctx;
  const { caller, rd } = a;
  const factors = await deps.factors.listFactors(tenant.slug, caller.user.id);
  if (!freshEnough(ctx, caller.session, factors, 303, rd)) return;
  const removed = await removeFactorOf(deps, tenant.slug, caller.user.id, ctx.params.id ?? '');
  if (!removed) return back(ctx, rd, { error: 'unknown-factor' });
  deps.audit.emit('mfa_removed', {
    tenant: tenant.slug,
    userId: caller.user.id,
    sessionId: caller.session.id,
    ip: ctx.clientIp,
    method: removed.kind,
    by: 'self',
  });
  back(ctx, rd, { done: 'removed' });
}

/** Removes one factor; with the last one go the recovery codes (they belong to a second factor). */
export async function removeFactorOf(
  deps: Pick<Deps, 'factors' | 'clock'>,
  tenant: string,
  userId: string,
  factorId: string,
): Promise<FactorRecord | null> {
  const factor = await deps.factors.getFactor(tenant, userId, factorId);
  if (!factor || !(await deps.factors.removeFactor(tenant, userId, factorId))) return null;
  if ((await deps.factors.listFactors(tenant, userId)).length === 0)
    await deps.factors.replaceRecoveryCodes(tenant, userId, [], deps.clock.now());
  return factor;
}
