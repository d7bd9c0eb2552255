// Small whole-page notices for signed-in users: 403 "not an admin" and 404 "no such user",
// with the usual navigation so the user is never stranded.
import { html } from './html.js';
import { layout, type NavModel } from './layout.js';

export function forbiddenPage(m: { slug: string; nav: NavModel; errorCode: string }): string {
  return layout(
    { slug: m.slug, title: 'Access denied', nav: m.nav, errorCode: m.errorCode },
    html`<section class="card"><h1>Access denied</h1>
<p>The portal is for administrators of ${m.nav.tenantName}. You are signed in as <strong class="break">${m.nav.username}</strong>, who does not have the admin role.</p>
<p><a href="/t/${m.slug}/account/sessions">Go to my sessions</a></p></section>`,
  );
}

export function notFoundPage(m: {
  slug: string;
  nav: NavModel;
  what: string;
  back: { href: string; label: string };
  errorCode: string;
}): string {
  return layout(
    { slug: m.slug, title: 'Not found', nav: m.nav, errorCode: m.errorCode },
    html`<section class="card"><h1>Not found</h1><p>${m.what}</p><p><a href="${m.back.href}">${m.back.label}</a></p></section>`,
  );
}
