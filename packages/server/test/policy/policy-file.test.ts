/**
 * The policy file: validation with errors that name the field, the engine's decisions (strongest
 * enforced action, shadow rules recorded but not enforced, `allow` as an exception), the holder's
 * start and SIGHUP reload (an invalid file keeps the old policy), and `handset policy check`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { ConfigError } from '../../src/config.js';
import { DEFAULT_POLICY } from '../../src/policy/default-policy.js';
import { evaluatePolicy, signalsUsed } from '../../src/policy/engine.js';
import { jsonErrorOffset } from '../../src/policy/json-error-position.js';
import { fieldPath, readPolicyText, validatePolicy } from '../../src/policy/load-policy.js';
import { policyFromEnv } from '../../src/policy/policy-holder.js';
import type { PolicyFile, Rule } from '../../src/policy/policy-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'handset-policy-'));
const bin = fileURLToPath(new URL('../../bin/handset.mjs', import.meta.url));
const silent = pino({ level: 'silent' });

const rule = (over: Partial<Rule> = {}): Rule => ({
  id: 'premium',
  when: { signal: 'line_type', op: 'in', value: ['premium_rate'] },
  action: 'deny_send',
  reason: 9802,
  ...over,
});
const policy = (...rules: Rule[]): PolicyFile => ({ version: 1, rules });
const errorsOf = (value: unknown): string[] => {
  const read = validatePolicy(value);
  assert.equal(read.ok, false, 'expected the policy to be refused');
  return read.ok ? [] : read.errors;
};

after(() => rmSync(dir, { recursive: true, force: true }));

let written = 0;
/** The holder of `p` loaded from a file, as the server loads it. */
function policyFromEnvWith(p: PolicyFile): ReturnType<typeof policyFromEnv> {
  const file = join(dir, `points-${(written += 1)}.json`);
  writeFileSync(file, JSON.stringify(p));
  return policyFromEnv({ HANDSET_POLICY_FILE: file });
}

describe('policy file validation', () => {
  it('accepts the default policy and a policy of every condition form', () => {
    assert.equal(validatePolicy(DEFAULT_POLICY).ok, true);
    const every = policy(
      rule({ id: 'a' }),
      rule({ id: 'b', when: { all: [{ signal: 'country', op: '==', value: 'GB' }, { signal: 'line_type', op: '!=', value: 'mobile' }] }, action: 'flag', reason: 9131 }),
      rule({ id: 'c', when: { any: [{ signal: 'country', op: 'not_in', value: ['GB', 'FR'] }] }, action: 'fail', reason: 9803, shadow: true }),
    );
    assert.equal(validatePolicy(every).ok, true);
  });

  it('names the field path of each schema error', () => {
    const errors = errorsOf({ version: 1, rules: [rule(), { ...rule({ id: 'b' }), action: 'block', extra: 1 }] });
    assert.ok(errors.some((e) => e.startsWith('rules[1]: unknown field(s) extra')), errors.join('\n'));
    assert.ok(errors.some((e) => e.startsWith('rules[1].action:')), errors.join('\n'));
    assert.ok(errorsOf({ version: 1, rules: [rule({ reason: 12 })] }).some((e) => e.startsWith('rules[0].reason:')));
    assert.ok(errorsOf({ version: 2, rules: [] }).some((e) => e.startsWith('version:')));
    assert.ok(errorsOf({ rules: [] }).some((e) => e.startsWith('(top level):')));
    assert.ok(errorsOf({ version: 1, rules: [rule({ id: 'Bad Id' })] }).some((e) => e.startsWith('rules[0].id:')));
  });

  it('refuses what a schema cannot say: unknown signals, duplicate ids, values that do not fit', () => {
    const unknown = errorsOf(policy(rule({ when: { signal: 'moon_phase', op: '==', value: 'full' } })));
    assert.equal(unknown.length, 1);
    assert.match(unknown[0]!, /^rules\[0\]\.when\.signal: unknown signal "moon_phase" \(known: line_type, country, .*sends_per_prefix_1h/);
    assert.deepEqual(errorsOf(policy(rule({ when: { signal: 'sends_per_number_1h', op: '>=', value: 'many' } }))), ['rules[0].when.value: sends_per_number_1h is a number']);
    assert.deepEqual(errorsOf(policy(rule(), rule())), ['rules[1].id: duplicate rule id "premium"']);
    assert.deepEqual(errorsOf(policy(rule({ when: { signal: 'country', op: 'in', value: 'GB' } }))), ['rules[0].when.value: "in" needs a list of strings']);
    assert.deepEqual(errorsOf(policy(rule({ when: { any: [{ signal: 'country', op: '>=', value: 'GB' }] } }))), [
      'rules[0].when.any[0].op: country is a string: use ==, !=, in or not_in',
    ]);
    assert.deepEqual(errorsOf(policy(rule({ when: { signal: 'country', op: '==', value: 3 } }))), ['rules[0].when.value: country is a string']);
    assert.deepEqual(errorsOf(policy(rule({ when: { signal: 'country', op: '==', value: ['GB'] } }))), ['rules[0].when.value: a list needs "in" or "not_in"']);
  });

  it('accepts rules at every evaluation point, with the actions and signals that fit it', () => {
    const points = policy(
      rule({ id: 'fail-anywhere', at: ['send', 'mobile_auth', 'verify'], when: { signal: 'wrong_codes', op: '>=', value: 2 }, action: 'fail', reason: 9806 }),
      rule({ id: 'otp-only', at: ['mobile_auth'], when: { signal: 'country', op: '==', value: 'CA' }, action: 'require_otp', reason: 9134 }),
      rule({ id: 'flag-verify', at: ['verify'], when: { signal: 'resends', op: '>', value: 1 }, action: 'flag', reason: 9806 }),
      rule({ id: 'cap', at: ['send'], when: { signal: 'sends_per_number_1h', op: '>=', value: 5 }, action: 'deny_send', reason: 9804 }),
    );
    assert.equal(validatePolicy(points).ok, true);
    const byPoint = policyFromEnvWith(points).current.at;
    assert.deepEqual(byPoint.send.policy.rules.map((r) => r.id), ['fail-anywhere', 'cap']);
    assert.deepEqual(byPoint.mobile_auth.policy.rules.map((r) => r.id), ['fail-anywhere', 'otp-only']);
    assert.deepEqual(byPoint.verify.policy.rules.map((r) => r.id), ['fail-anywhere', 'flag-verify']);
    assert.deepEqual([...byPoint.verify.signals].sort(), ['resends', 'wrong_codes'], 'a point computes only the signals its own rules read');
  });

  it('refuses a point that does not exist, an empty or repeated list, and actions or signals a point cannot have', () => {
    assert.ok(errorsOf(policy(rule({ at: ['checkout' as 'send'] }))).some((e) => e.startsWith('rules[0].at[0]:')));
    assert.ok(errorsOf(policy(rule({ at: [] }))).some((e) => e.startsWith('rules[0].at:')));
    assert.ok(errorsOf(policy(rule({ at: ['send', 'send'] }))).some((e) => e.startsWith('rules[0].at:')));
    assert.deepEqual(errorsOf(policy(rule({ at: ['send', 'verify'] }))), ['rules[0].at: deny_send applies only at send, not at verify']);
    assert.deepEqual(errorsOf(policy(rule({ action: 'require_otp' }))), [
      'rules[0]: require_otp applies only at mobile_auth, not at send (a rule without "at" applies at send)',
    ]);
    assert.deepEqual(errorsOf(policy(rule({ at: ['verify'], action: 'fail', when: { all: [{ signal: 'country', op: '==', value: 'GB' }, { signal: 'sends_per_prefix_1h', op: '>', value: 3 }] } }))), [
      'rules[0].at: sends_per_prefix_1h is computed only at send, not at verify',
    ]);
    // The newer signals: verification attempts at send and verify; budget, conversion and session facts at send only.
    const ruleOver = (signal: string, at: Array<'send' | 'mobile_auth' | 'verify'>) => policy(rule({ at, action: 'fail', when: { signal, op: '>=', value: 1 } }));
    const over = (signal: string, at: Array<'send' | 'mobile_auth' | 'verify'>) => errorsOf(ruleOver(signal, at));
    assert.equal(validatePolicy(ruleOver('verifications_per_number_1h', ['send', 'verify'])).ok, true);
    assert.deepEqual(over('verifications_per_device_key_24h', ['mobile_auth']), ['rules[0].at: verifications_per_device_key_24h is computed only at send, verify, not at mobile_auth']);
    assert.deepEqual(over('budget_total_count_used', ['verify']), ['rules[0].at: budget_total_count_used is computed only at send, not at verify']);
    assert.deepEqual(over('conversion_per_prefix_24h', ['mobile_auth']), ['rules[0].at: conversion_per_prefix_24h is computed only at send, not at mobile_auth']);
    assert.deepEqual(over('number_changes', ['verify']), ['rules[0].at: number_changes is computed only at send, not at verify']);
    assert.deepEqual(over('sends_per_device_key_1h', ['verify']), ['rules[0].at: sends_per_device_key_1h is computed only at send, not at verify']);
  });

  it('says where a JSON syntax error is', () => {
    const read = readPolicyText('{\n  "version": 1,\n  "rules": [,]\n}');
    assert.equal(read.ok, false);
    if (!read.ok) assert.match(read.errors[0]!, /^not valid JSON at line 3, column 13: /);
    for (const valid of ['{}', '[1, -2.5e3, "a\\"b", true, false, null, {"x": []}]', JSON.stringify(DEFAULT_POLICY, null, 2)]) assert.equal(jsonErrorOffset(valid), -1, valid);
    assert.equal(jsonErrorOffset('{"a": 1,}'), 8);
    assert.equal(jsonErrorOffset('{"a": tru}'), 6);
    assert.equal(jsonErrorOffset('{"a": "open'), 11);
    assert.equal(jsonErrorOffset('{} x'), 3);
    assert.equal(fieldPath('/rules/0/when/all/1/op'), 'rules[0].when.all[1].op');
  });
});

describe('policy engine', () => {
  it('the strongest enforced action decides; flags are collected; every rule is recorded', () => {
    const p = policy(
      rule({ id: 'flag-fixed', when: { signal: 'line_type', op: '==', value: 'fixed_line' }, action: 'flag', reason: 9131 }),
      rule({ id: 'gb-only', when: { signal: 'country', op: 'not_in', value: ['GB'] }, action: 'fail', reason: 9803 }),
      rule({ id: 'premium' }),
    );
    const d = evaluatePolicy(p, { line_type: 'fixed_line', country: 'FR' });
    assert.equal(d.action, 'fail');
    assert.equal(d.reason, 9803);
    assert.deepEqual(d.flags, [9131]);
    assert.deepEqual(
      d.results.map((r) => [r.rule.id, r.matched, r.enforced]),
      [['flag-fixed', true, true], ['gb-only', true, true], ['premium', false, false]],
    );
    assert.deepEqual(d.results[1]!.inputs, { country: 'FR' });
    assert.equal(evaluatePolicy(p, { line_type: 'mobile', country: 'GB' }).action, 'allow');
  });

  it('a shadow rule is recorded as matched but never enforced', () => {
    const d = evaluatePolicy(policy(rule({ shadow: true })), { line_type: 'premium_rate' });
    assert.equal(d.action, 'allow');
    assert.equal(d.reason, undefined);
    assert.deepEqual(d.results.map((r) => [r.matched, r.enforced]), [[true, false]]);
  });

  it('an enforced allow stops the rules after it; a caller can turn rules off (sandbox)', () => {
    const p = policy(rule({ id: 'gb-ok', when: { signal: 'country', op: '==', value: 'GB' }, action: 'allow', reason: 9800 }), rule());
    assert.equal(evaluatePolicy(p, { country: 'GB', line_type: 'premium_rate' }).action, 'allow');
    assert.equal(evaluatePolicy(p, { country: 'FR', line_type: 'premium_rate' }).action, 'deny_send');
    const off = evaluatePolicy(policy(rule()), { line_type: 'premium_rate' }, () => false);
    assert.deepEqual([off.action, off.results[0]!.matched, off.results[0]!.enforced], ['allow', true, false]);
  });

  it('a signal that was not computed matches no comparison; all/any combine', () => {
    assert.equal(evaluatePolicy(policy(rule()), {}).action, 'allow');
    const all = policy(rule({ when: { all: [{ signal: 'country', op: '==', value: 'GB' }, { signal: 'line_type', op: '==', value: 'voip' }] } }));
    assert.equal(evaluatePolicy(all, { country: 'GB', line_type: 'mobile' }).action, 'allow');
    assert.equal(evaluatePolicy(all, { country: 'GB', line_type: 'voip' }).action, 'deny_send');
    const any = policy(rule({ when: { any: [{ signal: 'country', op: '==', value: 'GB' }, { signal: 'line_type', op: '==', value: 'voip' }] } }));
    assert.equal(evaluatePolicy(any, { country: 'FR', line_type: 'voip' }).action, 'deny_send');
    assert.deepEqual([...signalsUsed(any)], ['country', 'line_type']);
  });
});

describe('policy loading and reload', () => {
  it('uses the default policy without HANDSET_POLICY_FILE, and refuses to start on an invalid file', () => {
    assert.equal(policyFromEnv({}).current.source, 'default');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, rules: [{ id: 'x' }] }));
    assert.throws(() => policyFromEnv({ HANDSET_POLICY_FILE: bad }), (e: unknown) => e instanceof ConfigError && /rules\[0\]/.test((e as Error).message));
    assert.throws(() => policyFromEnv({ HANDSET_POLICY_FILE: join(dir, 'missing.json') }), /cannot read .*ENOENT/);
  });

  it('a reload takes a valid file and keeps the old policy when the new one is invalid', () => {
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify(policy(rule())));
    const holder = policyFromEnv({ HANDSET_POLICY_FILE: file });
    assert.deepEqual(holder.current.policy.rules.map((r) => r.id), ['premium']);
    writeFileSync(file, JSON.stringify(policy(rule({ id: 'second' }))));
    assert.equal(holder.reload(silent), true);
    assert.deepEqual(holder.current.policy.rules.map((r) => r.id), ['second']);
    writeFileSync(file, '{ not json');
    assert.equal(holder.reload(silent), false);
    assert.deepEqual(holder.current.policy.rules.map((r) => r.id), ['second']);
  });
});

describe('handset policy check', () => {
  const check = (file: string) => spawnSync(process.execPath, [bin, 'policy', 'check', file], { encoding: 'utf8', env: { ...process.env, HANDSET_LOG_LEVEL: 'silent' } });

  it('accepts a valid file (the default policy as JSON) and refuses an invalid one with the field named', () => {
    const good = join(dir, 'default.json');
    writeFileSync(good, JSON.stringify(DEFAULT_POLICY, null, 2));
    const ok = check(good);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`valid \\(${DEFAULT_POLICY.rules.length} rules\\)`));
    const bad = join(dir, 'bad-action.json');
    writeFileSync(bad, JSON.stringify({ version: 1, rules: [{ ...rule(), action: 'block' }] }));
    const refused = check(bad);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /rules\[0\]\.action:/);
  });

  it('refuses a rule at a point its action does not fit, naming the field', () => {
    const bad = join(dir, 'bad-point.json');
    writeFileSync(bad, JSON.stringify({ version: 1, rules: [rule({ at: ['mobile_auth'] })] }));
    const refused = check(bad);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /rules\[0\]\.at: deny_send applies only at send, not at mobile_auth/);
  });
});
