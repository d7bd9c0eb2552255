// The one page script (served as /t/{slug}/static/gatekeeper-mfa.js; CSP script-src 'self',
// nothing inline): it runs the WebAuthn ceremonies of the three forms that need one, through
// the @simplewebauthn/browser bundle (global SimpleWebAuthnBrowser, loaded before it).
//
// The contract with the pages and handlers (design.md): on submit of #webauthn-register,
// #webauthn-assert or #passkey-login, POST `{}` as JSON to the form's data-options-url with
// the page's CSRF token (<meta name="csrf-token">) in X-CSRF-Token; the answer is
// `{ options }`; run the ceremony, put JSON.stringify(result) into the form's hidden field
// (`response` for registration, `webauthn_response` otherwise) and submit the form for real.
// Failures are shown in the form's `.webauthn-error` (text only). Without WebAuthn the
// buttons are disabled with a message, and the hidden passkey sign-in stays hidden.

/** The scripts a page with a WebAuthn form loads, in this order: the library, then ours. */
export const webAuthnScripts = (slug: string): readonly string[] => [
  `/t/${slug}/static/webauthn.js`,
  `/t/${slug}/static/gatekeeper-mfa.js`,
];

// Plain ES2020 without template literals (the script is itself one): served byte for byte.
export const MFA_SCRIPT = String.raw`(function () {
  'use strict';
  var FORMS = [
    { id: 'webauthn-register', field: 'response', ceremony: 'registration' },
    { id: 'webauthn-assert', field: 'webauthn_response', ceremony: 'authentication' },
    { id: 'passkey-login', field: 'webauthn_response', ceremony: 'authentication' }
  ];
  var lib = window.SimpleWebAuthnBrowser;
  var supported = typeof window.PublicKeyCredential === 'function' && !!lib;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') || '' : '';
  }

  function showError(form, text) {
    var box = form.querySelector('.webauthn-error');
    if (box) box.textContent = text;
  }

  function describe(err, ceremony) {
    var name = err && err.name;
    if (name === 'NotAllowedError' || name === 'AbortError')
      return 'The request was cancelled or timed out. Please try again.';
    if (name === 'InvalidStateError' && ceremony === 'registration')
      return 'This security key or passkey is already registered.';
    if (name === 'SecurityError') return 'This browser refused the request for this site.';
    if (err && err.gatekeeper) return err.message;
    return ceremony === 'registration'
      ? 'The security key or passkey could not be added. Please try again.'
      : 'The security key or passkey could not be used. Please try again.';
  }

  async function fetchOptions(form) {
    var res = await fetch(form.getAttribute('data-options-url'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrfToken() },
      body: '{}'
    });
    var body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (!res.ok || !body || typeof body.options !== 'object' || body.options === null) {
      var err = new Error(
        body && typeof body.error_description === 'string'
          ? body.error_description
          : 'Could not start (HTTP ' + res.status + '). Please reload the page and try again.'
      );
      err.gatekeeper = true;
      throw err;
    }
    return body.options;
  }

  function wire(spec) {
    var form = document.getElementById(spec.id);
    if (!form) return;
    var button = form.querySelector('button[type="submit"], button:not([type])');
    var hidden = form.querySelector('input[name="' + spec.field + '"]');
    if (!supported) {
      // The passkey sign-in is an extra: it stays hidden. Elsewhere, say why the button is off.
      if (form.hidden) return;
      if (button) button.disabled = true;
      showError(form, 'This browser cannot use security keys or passkeys here. Use another way, or another browser.');
      return;
    }
    form.hidden = false;
    var busy = false;
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      if (button) button.disabled = true;
      showError(form, '');
      try {
        var options = await fetchOptions(form);
        var result =
          spec.ceremony === 'registration'
            ? await lib.startRegistration({ optionsJSON: options })
            : await lib.startAuthentication({ optionsJSON: options });
        if (hidden) hidden.value = JSON.stringify(result);
        var remember = form.querySelector('input[type="hidden"][name="remember_me"]');
        if (remember) {
          var box = document.querySelector('input[type="checkbox"][name="remember_me"]');
          remember.value = box && box.checked ? '1' : '';
        }
        form.submit();
      } catch (err) {
        showError(form, describe(err, spec.ceremony));
        busy = false;
        if (button) button.disabled = false;
      }
    });
  }

  FORMS.forEach(wire);
})();
`;
