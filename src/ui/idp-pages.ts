// The pages of a sign-in through an identity provider that did not end in a session:
// the provider is unavailable, the sign-in expired or was refused. Every value escaped.
import { html } from './html.js';
import { layout } from './layout.js';

export function idpProblemPage(m: {
  slug: string;
  title: string;
  message: string;
  rd?: string;
  errorCode: string;
}): string {
  const again = `/t/${m.slug}/login${m.rd ? `?rd=${encodeURIComponent(m.rd)}` : ''}`;
  return layout(
    { slug: m.slug, title: m.title, errorCode: m.errorCode },
    html`<h1>${m.title}</h1><p role="alert">${m.message}</p><div class="actions"><a class="btn" href="${again}">Back to sign-in</a></div>`,
  );
}
