// The portal's auth-settings form: GET shows the effective settings; POST turns the changed
// fields into the PATCH shape, validates it exactly as the API does (validateSettingsPatch),
// and either re-renders with inline errors (422) or saves, audits and redirects (PRG).
import type { GatewayContext } from '../context.js';
import { formatSettings, rpIdProblem, validateSettingsPatch } from '../../config/settings-patch.js';
import { authSettingsPage, SETTINGS_NOTICES } from '../../ui/auth-settings-page.js';
import { noticeFrom } from '../../ui/format.js';
import { SETTINGS_FIELDS, valueAt } from '../../ui/settings-fields.js';
import { field } from '../body.js';
import { sendErrorPage, sendHtml } from '../respond.js';
import { saveAuthSettings, type AuthSettingsDeps } from './auth-settings.js';
import type { CurrentSessionDeps } from '../current-session.js';
import { sensitivePageAllowed } from '../sensitive.js';
import { adminViewer, backTo, pageAction, pageViewer, type Viewer } from './pages-common.js';

/** The page viewer, and saving the settings as the API does. */
type SettingsPageDeps = CurrentSessionDeps & AuthSettingsDeps;

const pagePath = (ctx: GatewayContext<SettingsPageDeps>): string =>
  `/t/${ctx.tenant.slug}/portal/configuration/auth-settings`;

function currentValues(ctx: GatewayContext<SettingsPageDeps>): Record<string, string> {
  const formatted = formatSettings(ctx.tenant.settings);
  return Object.fromEntries(SETTINGS_FIELDS.map((f) => [f.path, valueAt(formatted, f.path)]));
}

function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = target;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[keys[keys.length - 1]!] = value;
}

/**
 * Posted form → the PATCH shape, keeping only fields whose value differs from the effective
 * one (so saving the form does not pin every YAML value in the store). Durations go through
 * as typed (the validator parses them); numbers must be whole; an empty domain is null.
 */
export function formToPatch(form: URLSearchParams, current: Readonly<Record<string, string>>) {
  const values: Record<string, string> = {};
  const errors: Record<string, string[]> = {};
  const patch: Record<string, unknown> = {};
  for (const f of SETTINGS_FIELDS) {
    const raw = f.kind === 'checkbox' ? (field(form, f.path, 8) ? 'on' : '') : field(form, f.path, 256).trim();
    values[f.path] = raw;
    if (raw === current[f.path]) continue;
    if (f.kind === 'int') {
      if (!/^\d{1,9}$/.test(raw)) errors[f.path] = ['must be a whole number'];
      else setAt(patch, f.path, Number(raw));
    } else if (f.kind === 'duration') {
      setAt(patch, f.path, /^\d{1,12}$/.test(raw) ? Number(raw) : raw);
    } else if (f.kind === 'checkbox') {
      setAt(patch, f.path, raw === 'on');
    } else if (f.kind === 'host') {
      setAt(patch, f.path, raw === '' ? null : raw);
    } else {
      setAt(patch, f.path, raw);
    }
  }
  return { values, errors, patch };
}

/** The form: 200, or 422 ERR_GK_SETTINGS_INVALID with the errors inline. */
function render(
  ctx: GatewayContext<SettingsPageDeps>,
  viewer: Viewer,
  invalid: boolean,
  values: Record<string, string>,
  errors: Record<string, string[]>,
): void {
  const page = authSettingsPage({
    slug: ctx.tenant.slug,
    nav: viewer.nav,
    values,
    errors,
    notice: invalid ? null : noticeFrom(ctx.url.searchParams, SETTINGS_NOTICES),
    ...(invalid ? { errorCode: 'ERR_GK_SETTINGS_INVALID' } : {}),
  });
  if (invalid) return sendErrorPage(ctx.res, 'ERR_GK_SETTINGS_INVALID', page);
  sendHtml(ctx.res, 200, page);
}

export async function getAuthSettingsPage(ctx: GatewayContext<SettingsPageDeps>): Promise<void> {
  const viewer = await adminViewer(ctx);
  if (!viewer) return;
  render(ctx, viewer, false, currentValues(ctx), {});
}

export async function postAuthSettingsPage(ctx: GatewayContext<SettingsPageDeps>): Promise<void> {
  const action = await pageAction(ctx, 'admin', pagePath(ctx));
  if (!action || !(await sensitivePageAllowed(ctx, action.caller, pagePath(ctx)))) return;
  const { values, errors, patch } = formToPatch(action.form, currentValues(ctx));
  const v = validateSettingsPatch(patch);
  if (!v.ok) for (const e of v.errors) (errors[e.path] ??= []).push(e.message);
  const rpId = v.ok ? rpIdProblem(v.value.mfa?.rpId, ctx.publicUrl) : null;
  if (rpId !== null) (errors['mfa.rpId'] ??= []).push(rpId);
  if (!v.ok || Object.keys(errors).length > 0) {
    // requireAdmin passed with the session cookie, so the viewer is there to render for.
    const viewer = await pageViewer(ctx);
    if (!viewer) return;
    return render(ctx, viewer, true, values, errors);
  }
  if (Object.keys(patch).length === 0) return backTo(ctx, pagePath(ctx), { done: 'unchanged' });
  const { changed } = await saveAuthSettings(ctx, action.caller, v.value);
  backTo(ctx, pagePath(ctx), { done: 'saved', n: changed.length });
}
