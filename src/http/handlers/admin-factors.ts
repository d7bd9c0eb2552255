// Admins and a user's second factors (SPEC §13): the API lists them (kind, name, added,
// last used — never a secret or key) and removes one; the portal's user page removes one
// by form. Removing is a sensitive action (sensitive.ts) and is audited `mfa_removed`.
import type { Deps } from '../../deps.js';
import { findUser, type DirectoryUser } from '../../directory/users.js';
import { GatewayError } from '../../errors.js';
import { toFactorView } from '../../ui/security-page.js';
import { userPath } from '../../ui/portal-users-page.js';
import { requireAdmin, type Caller, type CallerDeps } from '../caller.js';
import type { GatewayContext } from '../context.js';
import { sendJson, sendNoContent } from '../respond.js';
import { requireSensitiveStepUp, sensitivePageAllowed } from '../sensitive.js';
import { removeFactorOf } from './account-security.js';
import { backTo, pageAction } from './pages-common.js';

type AdminFactorsDeps = CallerDeps &
  Pick<Deps, 'factors' | 'federation' | 'audit' | 'clock'> &
  Parameters<typeof pageAction>[0]['deps'];

async function userOr404(ctx: GatewayContext<AdminFactorsDeps>): Promise<DirectoryUser> {
  const user = await findUser(ctx.tenant, ctx.deps.federation, ctx.params.userId ?? '');
  if (!user) throw new GatewayError('ERR_GK_NOT_FOUND', 'unknown user');
  return user;
}

export async function getUserFactors(ctx: GatewayContext<AdminFactorsDeps>): Promise<void> {
  await requireAdmin(ctx);
  const user = await userOr404(ctx);
  const factors = await ctx.deps.factors.listFactors(ctx.tenant.slug, user.id);
  sendJson(ctx.res, 200, {
    factors: factors.map(toFactorView),
    recoveryCodesLeft: await ctx.deps.factors.recoveryCodesLeft(ctx.tenant.slug, user.id),
  });
}

async function removeAndAudit(
  ctx: GatewayContext<AdminFactorsDeps>,
  caller: Caller,
  userId: string,
  factorId: string,
): Promise<boolean> {
  const removed = await removeFactorOf(ctx.deps, ctx.tenant.slug, userId, factorId);
  if (removed)
    ctx.deps.audit.emit('mfa_removed', {
      tenant: ctx.tenant.slug,
      userId,
      ip: ctx.clientIp,
      method: removed.kind,
      by: caller.user?.id ?? caller.token?.client_id ?? null,
    });
  return removed !== null;
}

export async function deleteUserFactor(ctx: GatewayContext<AdminFactorsDeps>): Promise<void> {
  const caller = await requireAdmin(ctx);
  await requireSensitiveStepUp(ctx, caller);
  const user = await userOr404(ctx);
  if (!(await removeAndAudit(ctx, caller, user.id, ctx.params.factorId ?? '')))
    throw new GatewayError('ERR_GK_NOT_FOUND', 'unknown factor');
  sendNoContent(ctx.res);
}

export async function postRemoveUserFactorPage(ctx: GatewayContext<AdminFactorsDeps>): Promise<void> {
  const back = userPath(ctx.tenant.slug, ctx.params.userId ?? '');
  const action = await pageAction(ctx, 'admin', back);
  if (!action) return;
  if (!(await sensitivePageAllowed(ctx, action.caller, back))) return;
  const user = await userOr404(ctx);
  const ok = await removeAndAudit(ctx, action.caller, user.id, ctx.params.factorId ?? '');
  backTo(ctx, back, ok ? { done: 'factor-removed' } : { error: 'unknown-factor' });
}
