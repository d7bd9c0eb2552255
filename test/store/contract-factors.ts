// The FactorStore contract (factors.ts, SPEC §13): enrolled second factors and recovery
// codes, kept per (tenant, user). What an attacker tries is part of it: a replayed TOTP
// step, a cloned or replayed WebAuthn counter, a recovery code used twice, races on each
// of them, a flood of enrolments past the limit, and another user's or tenant's factor.
// Every implementation passes it on every backend (test/store/factors.test.ts).
// (Not a test file by itself: package.json's tap.exclude leaves test/store/contract*.ts out.)
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { hashSecret } from '../../src/session/ids.js';
import {
  MAX_FACTORS_PER_USER,
  type FactorRecord,
  type FactorStore,
  type TotpFactor,
  type WebAuthnFactor,
} from '../../src/store/factors.js';
import type { ManualClock } from '../../src/util/clock.js';
import { MIN, SEC, suite, type MakeStore } from './contract-fixture.js';

const newId = (): string => `fac_${randomBytes(16).toString('base64url')}`;
/** A TOTP time step near the fixture clock's now (30 s steps). */
const STEP = Math.floor(Date.UTC(2026, 0, 1) / 30_000);

export function totpFactor(clock: ManualClock, over: Partial<TotpFactor> = {}): TotpFactor {
  return {
    id: newId(),
    tenant: 'acme',
    userId: 'u1',
    kind: 'totp',
    name: 'Authenticator app',
    createdAt: clock.now(),
    lastUsedAt: null,
    secretBox: `v1.k1.${randomBytes(12).toString('base64url')}.${randomBytes(36).toString('base64url')}`,
    lastStep: -1,
    ...over,
  };
}

export function webAuthnFactor(clock: ManualClock, over: Partial<WebAuthnFactor> = {}): WebAuthnFactor {
  return {
    id: newId(),
    tenant: 'acme',
    userId: 'u1',
    kind: 'webauthn',
    name: 'YubiKey 5',
    createdAt: clock.now(),
    lastUsedAt: null,
    credentialId: randomBytes(32).toString('base64url'),
    publicKey: randomBytes(77).toString('base64url'),
    counter: 0,
    transports: ['usb', 'nfc'],
    discoverable: false,
    deviceType: 'singleDevice',
    backedUp: false,
    ...over,
  };
}

const ids = (fs: readonly FactorRecord[]): string[] => fs.map((f) => f.id);
const count = (results: readonly boolean[]): number => results.filter(Boolean).length;

export function runFactorsContract(t: Test, name: string, make: MakeStore<FactorStore>): void {
  const test = suite(t, name, 'factors', make);

  test('add, list oldest first, get, remove', async (t, { store, clock }) => {
    const app = totpFactor(clock);
    clock.advance(MIN);
    const key = webAuthnFactor(clock);
    clock.advance(MIN);
    const passkey = webAuthnFactor(clock, {
      name: 'iPhone',
      transports: ['internal', 'hybrid'],
      discoverable: true,
      deviceType: 'multiDevice',
      backedUp: true,
    });
    for (const f of [passkey, app, key]) t.strictSame(await store.addFactor(f, MAX_FACTORS_PER_USER), { ok: true });
    t.strictSame(await store.listFactors('acme', 'u1'), [app, key, passkey], 'oldest first, as saved');
    t.strictSame(await store.getFactor('acme', 'u1', key.id), key);
    t.strictSame(await store.getFactor('acme', 'u1', passkey.id), passkey);
    t.equal(await store.getFactor('acme', 'u1', newId()), null);

    t.equal(await store.removeFactor('acme', 'u1', key.id), true);
    t.equal(await store.removeFactor('acme', 'u1', key.id), false, 'already gone');
    t.equal(await store.getFactor('acme', 'u1', key.id), null);
    t.strictSame(ids(await store.listFactors('acme', 'u1')), [app.id, passkey.id]);
    t.strictSame(await store.listFactors('acme', 'nobody'), []);
  });

  test('factors added in the same millisecond are listed in one stable order', async (t, { store, clock }) => {
    const fs = Array.from({ length: 5 }, () => totpFactor(clock));
    for (const f of fs) await store.addFactor(f, MAX_FACTORS_PER_USER);
    const sorted = ids(fs).sort();
    t.strictSame(ids(await store.listFactors('acme', 'u1')), sorted, 'by id when the time is the same');
  });

  test('what is returned is a copy: changing it changes nothing stored', async (t, { store, clock }) => {
    const f = webAuthnFactor(clock);
    await store.addFactor(f, MAX_FACTORS_PER_USER);
    const got = (await store.getFactor('acme', 'u1', f.id)) as WebAuthnFactor;
    got.counter = 99;
    (got.transports as string[]).push('ble');
    f.counter = 42;
    const [listed] = (await store.listFactors('acme', 'u1')) as WebAuthnFactor[];
    t.equal(listed!.counter, 0);
    t.strictSame(listed!.transports, ['usb', 'nfc']);
  });

  test('a record comes back whole after an accept: no transports, a non-ASCII name', async (t, { store, clock }) => {
    const f = webAuthnFactor(clock, { name: 'Clé de Zoé 🔑 "work" \\ / <b>', transports: [], counter: 7 });
    await store.addFactor(f, MAX_FACTORS_PER_USER);
    clock.advance(MIN);
    t.equal(await store.acceptWebAuthnCounter('acme', 'u1', f.id, 8, clock.now()), true);
    t.strictSame(await store.getFactor('acme', 'u1', f.id), { ...f, counter: 8, lastUsedAt: clock.now() });
    const app = totpFactor(clock, { name: 'Téléphone' });
    await store.addFactor(app, MAX_FACTORS_PER_USER);
    t.equal(await store.acceptTotpStep('acme', 'u1', app.id, STEP, clock.now()), true);
    t.strictSame(await store.getFactor('acme', 'u1', app.id), { ...app, lastStep: STEP, lastUsedAt: clock.now() });
  });

  test('a record holding a lone UTF-16 surrogate is refused as a programming error', async (t, { store, clock }) => {
    await t.rejects(store.addFactor(webAuthnFactor(clock, { name: 'key \ud83d' }), MAX_FACTORS_PER_USER), TypeError);
    await t.rejects(
      store.addFactor(webAuthnFactor(clock, { transports: ['usb\udc00'] }), MAX_FACTORS_PER_USER),
      TypeError,
    );
    t.strictSame(await store.listFactors('acme', 'u1'), []);
  });

  test('the limit holds, also for parallel enrolments', async (t, { store, clock }) => {
    const first = Array.from({ length: 3 }, () => totpFactor(clock));
    for (const f of first) t.strictSame(await store.addFactor(f, 3), { ok: true });
    t.strictSame(await store.addFactor(webAuthnFactor(clock), 3), { ok: false, reason: 'limit' });
    t.strictSame(await store.addFactor(totpFactor(clock), 3), { ok: false, reason: 'limit' });
    await store.removeFactor('acme', 'u1', first[0]!.id);
    t.strictSame(await store.addFactor(totpFactor(clock), 3), { ok: true }, 'room again after a removal');

    const flood = Array.from({ length: MAX_FACTORS_PER_USER + 5 }, (_, i) =>
      i % 2 ? webAuthnFactor(clock, { userId: 'u2' }) : totpFactor(clock, { userId: 'u2' }),
    );
    const results = await Promise.all(flood.map((f) => store.addFactor(f, MAX_FACTORS_PER_USER)));
    t.equal(results.filter((r) => r.ok).length, MAX_FACTORS_PER_USER, 'exactly max accepted');
    t.ok(
      results.every((r) => r.ok || r.reason === 'limit'),
      'the rest refused for the limit',
    );
    t.equal((await store.listFactors('acme', 'u2')).length, MAX_FACTORS_PER_USER, 'exactly max stored');
  });

  test('a credential is enrolled once per user; a factor id once', async (t, { store, clock }) => {
    const key = webAuthnFactor(clock);
    await store.addFactor(key, MAX_FACTORS_PER_USER);
    t.strictSame(
      await store.addFactor(webAuthnFactor(clock, { credentialId: key.credentialId }), MAX_FACTORS_PER_USER),
      {
        ok: false,
        reason: 'duplicate',
      },
    );
    t.strictSame(await store.addFactor(totpFactor(clock, { id: key.id }), MAX_FACTORS_PER_USER), {
      ok: false,
      reason: 'duplicate',
    });
    t.strictSame(await store.getFactor('acme', 'u1', key.id), key, 'the first one is left as it was');
    t.strictSame(
      await store.addFactor(webAuthnFactor(clock, { credentialId: key.credentialId }), 1),
      { ok: false, reason: 'duplicate' },
      'a duplicate at the limit is a duplicate',
    );
    t.strictSame(
      await store.addFactor(
        webAuthnFactor(clock, { userId: 'u2', credentialId: key.credentialId }),
        MAX_FACTORS_PER_USER,
      ),
      { ok: true },
      'another user is another list',
    );

    const credentialId = randomBytes(32).toString('base64url');
    const racing = await Promise.all(
      Array.from({ length: 8 }, () => store.addFactor(webAuthnFactor(clock, { credentialId }), MAX_FACTORS_PER_USER)),
    );
    t.equal(racing.filter((r) => r.ok).length, 1, 'parallel registrations of one credential: one wins');
    t.equal((await store.listFactors('acme', 'u1')).length, 2);
  });

  test("another user's or tenant's factor cannot be seen, removed or used", async (t, { store, clock }) => {
    const app = totpFactor(clock);
    clock.advance(SEC);
    const key = webAuthnFactor(clock, { counter: 5 });
    await store.addFactor(app, MAX_FACTORS_PER_USER);
    await store.addFactor(key, MAX_FACTORS_PER_USER);
    const codes = ['a', 'b'].map((c) => hashSecret(c));
    await store.replaceRecoveryCodes('acme', 'u1', codes, clock.now());
    const later = clock.now() + MIN;

    for (const [tenant, userId] of [
      ['acme', 'u2'],
      ['globex', 'u1'],
    ] as const) {
      const who = `${tenant}/${userId}`;
      t.strictSame(await store.listFactors(tenant, userId), [], `${who}: lists nothing`);
      t.equal(await store.getFactor(tenant, userId, app.id), null, `${who}: gets nothing`);
      t.equal(await store.removeFactor(tenant, userId, app.id), false, `${who}: removes nothing`);
      t.equal(await store.acceptTotpStep(tenant, userId, app.id, STEP, later), false, `${who}: no TOTP step`);
      t.equal(await store.acceptWebAuthnCounter(tenant, userId, key.id, 6, later), false, `${who}: no assertion`);
      t.equal(await store.useRecoveryCode(tenant, userId, codes[0]!), false, `${who}: no recovery code`);
      t.equal(await store.recoveryCodesLeft(tenant, userId), 0);
      t.equal(await store.removeAllFactors(tenant, userId), 0, `${who}: removes nothing`);
    }
    t.strictSame(await store.listFactors('acme', 'u1'), [app, key], "the owner's factors are untouched");
    t.equal(await store.recoveryCodesLeft('acme', 'u1'), 2);
    t.equal(await store.acceptTotpStep('acme', 'u1', app.id, STEP, later), true, 'and still usable by the owner');
    t.equal(await store.acceptWebAuthnCounter('acme', 'u1', key.id, 6, later), true);
  });

  test('TOTP: a step counts once; older steps and replays are refused', async (t, { store, clock }) => {
    const app = totpFactor(clock);
    const key = webAuthnFactor(clock);
    await store.addFactor(app, MAX_FACTORS_PER_USER);
    await store.addFactor(key, MAX_FACTORS_PER_USER);
    clock.advance(MIN);
    const at = clock.now();
    t.equal(await store.acceptTotpStep('acme', 'u1', app.id, STEP, at), true, 'a first code');
    t.strictSame(await store.getFactor('acme', 'u1', app.id), { ...app, lastStep: STEP, lastUsedAt: at });
    clock.advance(SEC);
    t.equal(await store.acceptTotpStep('acme', 'u1', app.id, STEP, clock.now()), false, 'the same step: a replay');
    t.equal(await store.acceptTotpStep('acme', 'u1', app.id, STEP - 1, clock.now()), false, 'an older step');
    t.equal(await store.acceptTotpStep('acme', 'u1', app.id, -5, clock.now()), false, 'a negative step');
    t.equal((await store.getFactor('acme', 'u1', app.id))?.lastUsedAt, at, 'a refusal leaves lastUsedAt');
    clock.advance(30 * SEC);
    t.equal(await store.acceptTotpStep('acme', 'u1', app.id, STEP + 1, clock.now()), true, 'the next step');
    t.strictSame(await store.getFactor('acme', 'u1', app.id), { ...app, lastStep: STEP + 1, lastUsedAt: clock.now() });

    const racing = await Promise.all(
      Array.from({ length: 10 }, () => store.acceptTotpStep('acme', 'u1', app.id, STEP + 2, clock.now())),
    );
    t.equal(count(racing), 1, 'ten parallel uses of one code: one wins');

    t.equal(await store.acceptTotpStep('acme', 'u1', key.id, STEP + 9, clock.now()), false, 'a WebAuthn factor');
    t.equal(await store.acceptTotpStep('acme', 'u1', newId(), STEP + 9, clock.now()), false, 'an unknown id');
    await store.removeFactor('acme', 'u1', app.id);
    t.equal(await store.acceptTotpStep('acme', 'u1', app.id, STEP + 9, clock.now()), false, 'a removed factor');
    t.equal(await store.getFactor('acme', 'u1', app.id), null, 'and it is not brought back');
  });

  test('WebAuthn: the counter must go up, or stay at 0 where none is kept', async (t, { store, clock }) => {
    const none = webAuthnFactor(clock);
    const counting = webAuthnFactor(clock, { counter: 5 });
    const app = totpFactor(clock);
    for (const f of [none, counting, app]) await store.addFactor(f, MAX_FACTORS_PER_USER);
    const accept = (id: string, counter: number): Promise<boolean> =>
      store.acceptWebAuthnCounter('acme', 'u1', id, counter, clock.now());

    clock.advance(MIN);
    t.equal(await accept(none.id, 0), true, '0 → 0: an authenticator without a counter');
    t.strictSame(await store.getFactor('acme', 'u1', none.id), { ...none, lastUsedAt: clock.now() });
    clock.advance(MIN);
    t.equal(await accept(none.id, 0), true, 'and again');
    t.equal((await store.getFactor('acme', 'u1', none.id))?.lastUsedAt, clock.now(), 'lastUsedAt follows');
    t.equal(await accept(none.id, 5), true, '0 → 5: it started counting');
    t.equal(await accept(none.id, 0), false, '5 → 0: back to nothing is refused');

    const at = clock.now();
    t.equal(await accept(counting.id, 6), true, '5 → 6');
    t.strictSame(await store.getFactor('acme', 'u1', counting.id), { ...counting, counter: 6, lastUsedAt: at });
    clock.advance(MIN);
    t.equal(await accept(counting.id, 6), false, 'equal: a replayed assertion or a clone');
    t.equal(await accept(counting.id, 3), false, 'backwards');
    t.equal(await accept(counting.id, -1), false, 'negative');
    t.strictSame(await store.getFactor('acme', 'u1', counting.id), { ...counting, counter: 6, lastUsedAt: at });
    t.equal(await accept(counting.id, 2 ** 32 - 1), true, 'up to the largest 32-bit counter');

    const racing = await Promise.all(Array.from({ length: 10 }, () => accept(none.id, 9)));
    t.equal(count(racing), 1, 'ten parallel assertions with one counter: one wins');

    t.equal(await accept(app.id, 100), false, 'a TOTP factor');
    t.equal(await accept(newId(), 100), false, 'an unknown id');
    await store.removeFactor('acme', 'u1', none.id);
    t.equal(await accept(none.id, 100), false, 'a removed factor');
    t.equal(await store.getFactor('acme', 'u1', none.id), null, 'and it is not brought back');
  });

  test('recovery codes: replaced, each used once, counted', async (t, { store, clock }) => {
    const codes = Array.from({ length: 10 }, (_, i) => hashSecret(`code-${i}`));
    t.equal(await store.recoveryCodesLeft('acme', 'u1'), 0);
    await store.replaceRecoveryCodes('acme', 'u1', codes, clock.now());
    t.equal(await store.recoveryCodesLeft('acme', 'u1'), 10);
    t.equal(await store.useRecoveryCode('acme', 'u1', codes[3]!), true);
    t.equal(await store.useRecoveryCode('acme', 'u1', codes[3]!), false, 'a code works once');
    t.equal(await store.useRecoveryCode('acme', 'u1', hashSecret('guess')), false, 'an unknown code');
    t.equal(await store.recoveryCodesLeft('acme', 'u1'), 9);

    const racing = await Promise.all(Array.from({ length: 10 }, () => store.useRecoveryCode('acme', 'u1', codes[5]!)));
    t.equal(count(racing), 1, 'ten parallel uses of one code: one wins');
    t.equal(await store.recoveryCodesLeft('acme', 'u1'), 8);

    const fresh = Array.from({ length: 10 }, (_, i) => hashSecret(`fresh-${i}`));
    await store.replaceRecoveryCodes('acme', 'u1', fresh, clock.now());
    t.equal(await store.recoveryCodesLeft('acme', 'u1'), 10, 'a new set replaces the old');
    t.equal(await store.useRecoveryCode('acme', 'u1', codes[0]!), false, 'an old code no longer works');
    t.equal(await store.useRecoveryCode('acme', 'u1', fresh[0]!), true);

    await store.replaceRecoveryCodes('acme', 'u1', [], clock.now());
    t.equal(await store.recoveryCodesLeft('acme', 'u1'), 0, 'an empty list removes them');
    t.equal(await store.useRecoveryCode('acme', 'u1', fresh[1]!), false);
  });

  test('removeAllFactors removes factors and recovery codes, and counts the factors', async (t, { store, clock }) => {
    for (const f of [totpFactor(clock), webAuthnFactor(clock), webAuthnFactor(clock)])
      await store.addFactor(f, MAX_FACTORS_PER_USER);
    const keep = totpFactor(clock, { userId: 'u2' });
    await store.addFactor(keep, MAX_FACTORS_PER_USER);
    await store.replaceRecoveryCodes('acme', 'u1', [hashSecret('a'), hashSecret('b')], clock.now());
    await store.replaceRecoveryCodes('acme', 'u2', [hashSecret('c')], clock.now());

    t.equal(await store.removeAllFactors('acme', 'u1'), 3);
    t.strictSame(await store.listFactors('acme', 'u1'), []);
    t.equal(await store.recoveryCodesLeft('acme', 'u1'), 0);
    t.equal(await store.useRecoveryCode('acme', 'u1', hashSecret('a')), false);
    t.equal(await store.removeAllFactors('acme', 'u1'), 0, 'nothing left the second time');
    t.strictSame(await store.listFactors('acme', 'u2'), [keep], "another user's are kept");
    t.equal(await store.recoveryCodesLeft('acme', 'u2'), 1);

    await store.replaceRecoveryCodes('acme', 'u3', [hashSecret('d')], clock.now());
    t.equal(await store.removeAllFactors('acme', 'u3'), 0, 'codes alone: no factor counted');
    t.equal(await store.recoveryCodesLeft('acme', 'u3'), 0, 'but the codes went');
    t.strictSame(await store.addFactor(totpFactor(clock), MAX_FACTORS_PER_USER), { ok: true }, 'enrolling again works');
  });
}
