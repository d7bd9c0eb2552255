// GET/POST /t/{slug}/portal/configuration/auth-settings: the tenant's settings as a form.
// Durations are edited as written in the YAML (30m, 24h); errors appear next to their field
// and in a summary linking to it; after a failed save the submitted values stay in place.
import { html, type SafeHtml } from './html.js';
import { layout, type NavModel } from './layout.js';
import { flash, plural, type Notice, type NoticeTable } from './format.js';
import { fieldId, SETTINGS_FIELDS, SETTINGS_GROUPS, type SettingsField } from './settings-fields.js';

export const SETTINGS_NOTICES: NoticeTable = {
  saved: {
    kind: 'ok',
    text: (n) =>
      `Saved: ${plural(n, 'setting')} changed. New values apply to new sessions and requests on every instance.`,
  },
  unchanged: { kind: 'ok', text: () => 'Nothing to save: no value was changed.' },
};

export interface AuthSettingsModel {
  slug: string;
  nav: NavModel;
  /** Form values by field path. */
  values: Readonly<Record<string, string>>;
  /** Error messages by field path; paths not in the form are listed in the summary only. */
  errors: Readonly<Record<string, readonly string[]>>;
  notice: Notice | null;
  /** A refused save: the catalogue code, shown in small print. */
  errorCode?: string;
}

function control(f: SettingsField, value: string, describedBy: string, invalid: boolean): SafeHtml {
  const id = fieldId(f.path);
  const aria = html` aria-describedby="${describedBy}"${invalid ? html` aria-invalid="true"` : ''}`;
  switch (f.kind) {
    case 'checkbox':
      return html`<label class="check" for="${id}"><input id="${id}" name="${f.path}" type="checkbox" value="on"${value ? html` checked` : ''}${aria}> ${f.label}</label>`;
    case 'select':
      return html`<label for="${id}">${f.label}</label><select id="${id}" name="${f.path}"${aria}>
${(f.options ?? []).map((o) => html`<option value="${o.value}"${o.value === value ? html` selected` : ''}>${o.label}</option>`)}
${f.options?.some((o) => o.value === value) ? '' : html`<option value="${value}" selected>${value}</option>`}</select>`;
    case 'int':
      return html`<label for="${id}">${f.label}</label><input id="${id}" name="${f.path}" type="text" inputmode="numeric" autocomplete="off" value="${value}"${aria}>`;
    default:
      return html`<label for="${id}">${f.label}</label><input id="${id}" name="${f.path}" type="text" autocomplete="off" spellcheck="false" value="${value}"${aria}>`;
  }
}

function fieldBlock(f: SettingsField, m: AuthSettingsModel): SafeHtml {
  const id = fieldId(f.path);
  const errs = m.errors[f.path] ?? [];
  const describedBy = errs.length ? `${id}-error ${id}-hint` : `${id}-hint`;
  return html`<div class="field">${control(f, m.values[f.path] ?? '', describedBy, errs.length > 0)}
${errs.length ? html`<p class="field-error" id="${id}-error">${errs.join(' ')}</p>` : ''}
<p class="hint" id="${id}-hint">${f.hint}</p></div>`;
}

function summary(m: AuthSettingsModel): SafeHtml | string {
  const known = new Map(SETTINGS_FIELDS.map((f, i) => [f.path, { f, i }]));
  // In the order of the form, unknown paths (none expected) last.
  const rank = (path: string): number => known.get(path)?.i ?? SETTINGS_FIELDS.length;
  const entries = Object.entries(m.errors)
    .filter(([, list]) => list.length > 0)
    .sort(([a], [b]) => rank(a) - rank(b));
  if (entries.length === 0) return '';
  return html`<div class="error" role="alert" id="error-summary"><strong>Nothing was saved: ${plural(entries.length, 'setting needs', 'settings need')} fixing.</strong><ul>
${entries.map(([path, list]) => {
  const f = known.get(path)?.f;
  return f
    ? html`<li><a href="#${fieldId(path)}">${f.label}</a>: ${list.join(' ')}</li>`
    : html`<li><code>${path}</code>: ${list.join(' ')}</li>`;
})}</ul></div>`;
}

export function authSettingsPage(m: AuthSettingsModel): string {
  return layout(
    { slug: m.slug, title: 'Auth settings', nav: { ...m.nav, active: 'settings' }, errorCode: m.errorCode },
    html`<div class="head"><div><h1>Auth settings</h1><p class="muted">Sessions, tokens and sign-in protection for ${m.nav.tenantName}. Durations: 90s, 30m, 24h, 30d.</p></div></div>
${m.notice ? flash(m.notice.kind, m.notice.text) : ''}
${summary(m)}
<form method="post" action="/t/${m.slug}/portal/configuration/auth-settings" novalidate>
<input type="hidden" name="csrf_token" value="${m.nav.csrfToken}">
${SETTINGS_GROUPS.map(
  (g) => html`<fieldset><legend>${g.legend}</legend><div class="grid">
${SETTINGS_FIELDS.filter((f) => f.group === g.key).map((f) => fieldBlock(f, m))}</div></fieldset>`,
)}
<div class="actions"><button type="submit">Save settings</button><a class="btn btn-secondary" href="/t/${m.slug}/portal/configuration/auth-settings">Discard changes</a></div>
</form>`,
  );
}
