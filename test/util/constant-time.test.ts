// The one constant-time compare (CSRF tokens, the login nonce, session secrets and their hashes).
import t from 'tap';
import { constantTimeEqual } from '../../src/util/constant-time.js';

t.test('equal values', async (t) => {
  t.ok(constantTimeEqual('abc', 'abc'));
  t.ok(constantTimeEqual('', ''), 'two empty values');
  t.ok(constantTimeEqual(Buffer.from('0a0b', 'hex'), Buffer.from('0A0B', 'hex')), 'bytes, not their spelling');
  t.ok(constantTimeEqual('é', Buffer.from('c3a9', 'hex')), 'a string is compared as UTF-8');
});

t.test('different values', async (t) => {
  t.notOk(constantTimeEqual('abc', 'abd'), 'last byte differs');
  t.notOk(constantTimeEqual('xbc', 'abc'), 'first byte differs');
  t.notOk(constantTimeEqual('abc', 'abcd'), 'a prefix is not equal (no throw on different lengths)');
  t.notOk(constantTimeEqual('', 'a'));
  t.notOk(constantTimeEqual('abc', 'ABC'), 'case matters');
  t.notOk(constantTimeEqual('é', 'e\u0301'), 'no Unicode normalisation');
  t.notOk(constantTimeEqual(Buffer.alloc(32), Buffer.alloc(31)), 'a truncated hash');
});
