/**
 * @module test/explain.plain-words.test
 * The plain-words reading of Handset's answers, and the demo's phone-number handling.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authIdOf } from '../src/auth-token.ts';
import { explain } from '../src/explain.ts';
import { compactPhone, maskPhone } from '../src/phone.ts';

const mismatch = { authentication: { result: 'fail' as const, failureReasons: { '9101': "Phone number doesn't match Prove Key. Rebind required." } } };
const incomplete = { authentication: { result: 'fail' as const, failureReasons: { '9100': 'Phone possession incomplete.' } } };

describe('explain', () => {
  test('a verified mobile flow names the masked number, the key and the silent next time', () => {
    const view = explain(
      { success: 'true', phoneNumber: '+12025550124', deviceId: 'd-1', proveId: 'p-1', evaluation: { authentication: { result: 'pass' } } },
      { flow: 'mobile', via: 'status' },
    );
    assert.equal(view.headline, 'Verified: you hold +1******0124.');
    assert.match(view.explanation.join(' '), /device key is bound to that number.*recognised silently/);
    assert.deepEqual(view.evaluation, [{ category: 'authentication', result: 'pass', reasons: [] }]);
    assert.equal(view.deviceId, 'd-1');
    assert.equal(view.canRebind, false);
  });

  test('a verified rebind says the key moved if it belonged elsewhere', () => {
    const view = explain({ success: 'true', phoneNumber: '+12025550124' }, { flow: 'mobile', via: 'status', rebind: true });
    assert.match(view.explanation[0]!, /Rebind was asked for/);
  });

  test('9101 on a mobile flow explains the other number and offers rebind; on a customer flow only the bind', () => {
    const mobile = explain({ success: 'possession_required', phoneNumber: '2025550131', evaluation: mismatch }, { flow: 'mobile', via: 'status' });
    assert.equal(mobile.headline, 'Handset needs the demo to check the phone itself.');
    assert.match(mobile.evaluation[0]!.reasons[0]!.plain, /bound to a different phone number/);
    assert.equal(mobile.evaluation[0]!.reasons[0]!.description, "Phone number doesn't match Prove Key. Rebind required.");
    assert.equal(mobile.canRebind, true);
    assert.match(mobile.explanation.join(' '), /start again with rebind/);
    const customer = explain({ success: 'possession_required', evaluation: mismatch }, { flow: 'customer', via: 'status' });
    assert.equal(customer.canRebind, false);
    assert.doesNotMatch(customer.explanation.join(' '), /start again with rebind/);
  });

  test('9100 reads differently for possession_required and for a failure', () => {
    const required = explain({ success: 'possession_required', evaluation: incomplete }, { flow: 'customer', via: 'status' });
    assert.match(required.evaluation[0]!.reasons[0]!.plain, /no device key bound to this phone number yet/);
    const failed = explain({ success: 'false', evaluation: incomplete }, { flow: 'mobile', via: 'status' });
    assert.equal(failed.headline, 'Not verified.');
    assert.match(failed.evaluation[0]!.reasons[0]!.plain, /not proven.*too many wrong codes/);
  });

  test("an unknown reason code is shown with Handset's own description", () => {
    const view = explain(
      { success: 'false', evaluation: { risk: { result: 'fail', failureReasons: { '9135': 'SIM swap in the last 24 hours.' } } } },
      { flow: 'mobile', via: 'status' },
    );
    assert.deepEqual(view.evaluation[0], {
      category: 'risk',
      result: 'fail',
      reasons: [{ code: '9135', description: 'SIM swap in the last 24 hours.', plain: 'Reason 9135: SIM swap in the last 24 hours.' }],
    });
  });

  test('pending and a desktop success read as such, without a device key', () => {
    assert.equal(explain({ success: 'pending' }, { flow: 'desktop', via: 'status' }).headline, 'Not finished yet.');
    const desktop = explain({ success: 'true', phoneNumber: '+12025550140' }, { flow: 'desktop', via: 'status' });
    assert.match(desktop.explanation[0]!, /opened the Instant Link/);
    assert.equal(desktop.deviceId, undefined);
  });

  test('a returning customer recognised by the key alone: welcome back, the number, nothing typed and no code', () => {
    const view = explain(
      { success: 'true', phoneNumber: '+12025550151', deviceId: 'd-1', proveId: 'p-1', evaluation: { authentication: { result: 'pass' } } },
      { flow: 'returning', via: 'status' },
    );
    assert.equal(view.headline, 'Welcome back: recognised as +1******0151.');
    assert.match(view.explanation.join(' '), /You typed no number\. This browser's device key is bound to \+1\*{6}0151.*No code and no text message/);
    assert.equal(view.phoneNumber, '+1******0151');
    assert.equal(view.canRebind, false);
  });

  test('a returning customer on a browser bound to nothing is asked for a number; after the bind, next time needs nothing', () => {
    const fresh = explain({ success: 'possession_required', evaluation: incomplete }, { flow: 'returning', via: 'status' });
    assert.equal(fresh.headline, 'Handset needs the demo to check the phone itself.');
    assert.match(fresh.explanation.join(' '), /You typed no number, and this browser has no device key bound to one yet.*Tell the demo your number/);
    assert.match(fresh.evaluation[0]!.reasons[0]!.plain, /no device key bound to any phone number yet/);
    assert.equal(fresh.canRebind, false);
    assert.equal(fresh.phoneNumber, undefined);
    const bound = explain({ success: 'true', phoneNumber: '+12025550151' }, { flow: 'returning', via: 'bind' });
    assert.equal(bound.headline, 'Verified: you hold +1******0151.');
    assert.match(bound.explanation.join(' '), /own check proved you hold \+1\*{6}0151.*"Returning customer" recognises this browser with nothing typed/);
  });
});

describe('phone numbers', () => {
  test('compacts typed numbers and refuses what cannot be one', () => {
    assert.equal(compactPhone(' +1 (202) 555-0100 '), '+12025550100');
    assert.equal(compactPhone('202.555.0100'), '2025550100');
    for (const bad of ['', '12345', 'call me', '+1 202 555 0100 ext 5', '1'.repeat(16), 42, null, undefined, '++12025550100']) {
      assert.equal(compactPhone(bad), null, String(bad));
    }
  });

  test('masks all but the country code and the last four digits', () => {
    assert.equal(maskPhone('+12025550100'), '+1******0100');
    assert.equal(maskPhone('2025550100'), '20****0100');
    assert.equal(maskPhone('123'), '***');
  });
});

describe('authIdOf', () => {
  test('reads auth.id from the payload and refuses tokens without one', () => {
    const payload = Buffer.from(JSON.stringify({ auth: { id: 'a-1' } })).toString('base64url');
    assert.equal(authIdOf(`h.${payload}.s`), 'a-1');
    assert.equal(authIdOf('not-a-token'), null);
    assert.equal(authIdOf('h.%%%.s'), null);
    assert.equal(authIdOf(`h.${Buffer.from('{"auth":{}}').toString('base64url')}.s`), null);
  });
});
