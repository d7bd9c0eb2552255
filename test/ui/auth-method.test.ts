// The "How" column's words: the first factor (password, passkey, an identity provider by
// its display name) and the second factors the session's amr records.
import t from 'tap';
import { authMethodLabel, providerNamesOf } from '../../src/ui/auth-method.js';

const names = providerNamesOf([
  { id: 'corp', displayName: 'Corp SSO' },
  { id: 'gh', displayName: 'GitHub' },
]);
const label = (authMethod: string, amr: string[]) => authMethodLabel({ authMethod, amr }, names);

t.test('a first factor alone', async (t) => {
  t.equal(label('password', ['pwd']), 'Password');
  t.equal(label('passkey', ['hwk', 'user', 'mfa']), 'Passkey', "a passkey's own key is not a second factor");
  t.equal(label('passkey', ['swk', 'user', 'mfa']), 'Passkey', 'nor a synced one');
  t.equal(label('oidc:corp', ['fed']), 'Corp SSO', 'an identity provider by its display name');
  t.equal(label('oidc:gh', ['fed']), 'GitHub');
});

t.test('with second factors', async (t) => {
  t.equal(label('password', ['pwd', 'otp', 'mfa']), 'Password + authenticator app');
  t.equal(label('password', ['pwd', 'hwk', 'mfa']), 'Password + security key');
  t.equal(
    label('password', ['pwd', 'swk', 'user', 'mfa']),
    'Password + security key',
    'a synced passkey as 2nd factor',
  );
  t.equal(label('oidc:corp', ['fed', 'otp', 'mfa']), 'Corp SSO + authenticator app');
  t.equal(label('oidc:corp', ['fed', 'hwk', 'mfa']), 'Corp SSO + security key');
  t.equal(
    label('password', ['pwd', 'otp', 'hwk', 'mfa']),
    'Password + authenticator app + security key',
    'a step-up with another kind adds it',
  );
  t.equal(label('password', ['pwd', 'hwk', 'swk', 'mfa']), 'Password + security key', 'each kind named once');
  t.equal(label('passkey', ['hwk', 'otp', 'mfa']), 'Passkey + authenticator app');
});

t.test('what the config no longer knows, or never did', async (t) => {
  t.equal(label('oidc:gone', ['fed']), 'gone', 'a removed provider shows its id');
  t.equal(authMethodLabel({ authMethod: 'oidc:corp', amr: [] }, new Map()), 'corp', 'no names given');
  t.equal(label('', []), 'Unknown');
  t.equal(label('client_credentials', []), 'client_credentials', 'an unknown method as it is');
  t.equal(label('password', []), 'Password', 'older sessions without amr');
  t.equal(label('password', ['pwd', 'mfa']), 'Password', 'mfa alone names no factor');
});

t.test('plain text: escaping is the page’s job, nothing is interpreted here', async (t) => {
  const hostile = providerNamesOf([{ id: 'x', displayName: '<img src=x onerror=alert(1)>' }]);
  t.equal(
    authMethodLabel({ authMethod: 'oidc:x', amr: ['otp'] }, hostile),
    '<img src=x onerror=alert(1)> + authenticator app',
  );
});
