/**
 * The verified-authToken cache holds live tokens only: memory follows the sessions in progress.
 * @see issue 9 (soak: memory grew until 10,000 expired tokens were cached, then fell at once)
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AuthTokenClaims } from '@handset/protocol';
import { AuthTokenVerifier, signAuthToken } from '../../src/tokens/auth-token.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const key = { kid: 'k', privateKey, publicKey, generated: true };

function claimsOf(id: string, expSeconds: number): AuthTokenClaims {
  return {
    iat: expSeconds - 900,
    exp: expSeconds,
    jti: id,
    auth: { id, ans: 'n', endp: 'https://x', chlg: 'c', next: 'device/passive', subs: {} },
  };
}

function token(id: string, expSeconds: number): string {
  return signAuthToken(claimsOf(id, expSeconds), key);
}

describe('verified authToken cache', () => {
  it('drops expired tokens as new ones arrive, and an expired token at its next use', () => {
    const verifier = new AuthTokenVerifier(key);
    const first = token('a', 1_000);
    const second = token('b', 2_000);
    assert.equal(verifier.verify(first, 500_000).ok, true);
    assert.equal(verifier.verify(second, 500_000).ok, true);
    assert.equal(verifier.cached, 2);
    // Later: the first has expired; verifying a new token forgets it.
    assert.equal(verifier.verify(token('c', 3_000), 1_500_000).ok, true);
    assert.equal(verifier.cached, 2);
    assert.deepEqual(verifier.verify(first, 1_500_000), { ok: false, problem: 'expired' }, 'still refused, checked anew');
    assert.deepEqual(verifier.verify(second, 2_500_000), { ok: false, problem: 'expired' });
    assert.equal(verifier.cached, 1, 'the expired token is dropped when it is used');
  });

  it('never caches a token that has already expired, and holds at most its limit', () => {
    const verifier = new AuthTokenVerifier(key, [], { cacheLimit: 3 });
    assert.deepEqual(verifier.verify(token('old', 1_000), 2_000_000), { ok: false, problem: 'expired' });
    assert.equal(verifier.cached, 0);
    const tokens = ['a', 'b', 'c', 'd', 'e'].map((id) => token(id, 9_000));
    for (const t of tokens) assert.equal(verifier.verify(t, 1_000_000).ok, true);
    assert.equal(verifier.cached, 3);
    assert.equal(verifier.verify(tokens[0]!, 1_000_000).ok, true, 'an evicted token still verifies (anew)');
  });

  it('caches a token it mints: its first use needs no verification, and nothing else is trusted by it', () => {
    // A public key that is not the signing key's: anything this verifier accepts came from its cache.
    const mismatched = { ...key, publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey };
    const verifier = new AuthTokenVerifier(mismatched);
    const claims = claimsOf('minted', 9_000);
    const minted = verifier.issue(claims, 1_000_000);
    assert.equal(new AuthTokenVerifier(key).verify(minted, 1_000_000).ok, true, 'a real token, signed by the signing key');
    assert.equal(verifier.cached, 1);
    claims.auth.id = 'changed by the caller afterwards';
    assert.deepEqual(verifier.verify(minted, 1_000_000), { ok: true, claims: claimsOf('minted', 9_000) }, 'the claims as signed');
    // A token differing in any byte is not the cached one: it is verified, and refused.
    const [header, , signature] = minted.split('.') as [string, string, string];
    const otherPayload = Buffer.from(JSON.stringify(claimsOf('other', 9_000))).toString('base64url');
    assert.deepEqual(verifier.verify(`${header}.${otherPayload}.${signature}`, 1_000_000), { ok: false, problem: 'bad_signature' });
    // Past its expiry the minted token is refused and dropped, as a verified one is.
    assert.deepEqual(verifier.verify(minted, 9_000_000), { ok: false, problem: 'expired' });
    assert.equal(verifier.cached, 0);
    // A token minted already expired is returned (the caller's business) but never cached.
    verifier.issue(claimsOf('late', 1_000), 2_000_000);
    assert.equal(verifier.cached, 0);
  });
});
