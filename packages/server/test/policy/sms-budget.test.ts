/**
 * The daily SMS budget's counting (policy/sms-budget.ts) on the in-memory store: texts and
 * estimated cost per client and in total for the UTC day, prices per country with a default, a
 * text given back when it was not sent, the alert logged once per rule, scope and day; and the
 * price table's validation in the policy file (negative tests name the field).
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { validatePolicy } from '../../src/policy/load-policy.js';
import { alertBudgetExhausted, priceOf, spendBudget, utcDay } from '../../src/policy/sms-budget.js';
import { WindowCounters } from '../../src/policy/window-counters.js';

const counters = () => new WindowCounters((spec) => new RateLimiterMemory({ keyPrefix: spec.name, points: spec.points, duration: spec.durationSeconds }));
const prices = { currency: 'EUR', default: 0.05, countries: { US: 0.0079, GB: 0.04 } };
const NOW = Date.parse('2026-12-01T23:59:00Z');
const ALL = ['budget_client_count_used', 'budget_client_cost_used', 'budget_total_count_used', 'budget_total_cost_used'] as const;

describe('SMS budget counting', () => {
  it('prices by country, else the default; the day is the UTC day', () => {
    assert.equal(priceOf(prices, 'US'), 0.0079);
    assert.equal(priceOf(prices, 'SL'), 0.05);
    assert.equal(utcDay(NOW), '2026-12-01');
    assert.equal(utcDay(NOW + 60_000), '2026-12-02');
  });

  it('reports what was spent before this text, per client and in total, by count and cost', async () => {
    const c = counters();
    const first = await spendBudget(c, ALL, { client: 'a', country: 'US', now: NOW, prices });
    assert.deepEqual(first.signals, { budget_client_count_used: 0, budget_client_cost_used: 0, budget_total_count_used: 0, budget_total_cost_used: 0 });
    await spendBudget(c, ALL, { client: 'a', country: 'GB', now: NOW, prices });
    const third = await spendBudget(c, ALL, { client: 'b', country: 'SL', now: NOW, prices });
    assert.deepEqual(third.signals, { budget_client_count_used: 0, budget_client_cost_used: 0, budget_total_count_used: 2, budget_total_cost_used: 0.0479 });
    const fourth = await spendBudget(c, ALL, { client: 'a', country: 'US', now: NOW, prices });
    assert.deepEqual(fourth.signals, { budget_client_count_used: 2, budget_client_cost_used: 0.0479, budget_total_count_used: 3, budget_total_cost_used: 0.0979 });
    // The next UTC day starts from zero.
    const tomorrow = await spendBudget(c, ALL, { client: 'a', country: 'US', now: NOW + 60_000, prices });
    assert.deepEqual(tomorrow.signals, { budget_client_count_used: 0, budget_client_cost_used: 0, budget_total_count_used: 0, budget_total_cost_used: 0 });
  });

  it('a text given back (not sent) is not spent', async () => {
    const c = counters();
    const denied = await spendBudget(c, ALL, { client: 'a', country: 'GB', now: NOW, prices });
    await denied.giveBack();
    const next = await spendBudget(c, ALL, { client: 'a', country: 'GB', now: NOW, prices });
    assert.deepEqual(next.signals, { budget_client_count_used: 0, budget_client_cost_used: 0, budget_total_count_used: 0, budget_total_cost_used: 0 });
  });

  it('the alert is logged once per rule, scope and day, names client and budget, and no number', async () => {
    const c = counters();
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
    const alert = { rule: 'client-day', reason: 9808, signals: ['budget_client_count_used' as const], client: 'client-1', now: NOW, spent: { budget_client_count_used: 100 } };
    assert.equal(await alertBudgetExhausted(c, log, alert), true);
    assert.equal(await alertBudgetExhausted(c, log, alert), false);
    assert.equal(await alertBudgetExhausted(c, log, { ...alert, client: 'client-2' }), true, 'another client has its own alert');
    assert.equal(await alertBudgetExhausted(c, log, { ...alert, now: NOW + 60_000 }), true, 'a new day alerts again');
    assert.equal(lines.length, 3);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(line.level, 50);
    assert.equal(line.alert, 'sms_budget_exhausted');
    assert.equal(line.clientId, 'client-1');
    assert.equal(line.budget, 'budget_client_count_used');
    assert.equal(line.window, '2026-12-01');
    assert.doesNotMatch(lines.join(''), /\+\d{6,}/);
  });
});

describe('price table validation', () => {
  const costRule = { id: 'cost', when: { signal: 'budget_client_cost_used', op: '>=', value: 10 }, action: 'deny_send', reason: 9808 };
  const errorsOf = (value: unknown): string[] => {
    const read = validatePolicy(value);
    assert.equal(read.ok, false, 'expected the policy to be refused');
    return read.ok ? [] : read.errors;
  };

  it('accepts a table with a default and per-country prices', () => {
    assert.equal(validatePolicy({ version: 1, prices, rules: [costRule] }).ok, true);
    assert.equal(validatePolicy({ version: 1, prices: { default: 0 }, rules: [costRule] }).ok, true);
  });

  it('refuses a cost rule without a table, and names the signal', () => {
    assert.deepEqual(errorsOf({ version: 1, rules: [costRule] }), ['rules[0].when.signal: budget_client_cost_used needs a "prices" table in the policy file']);
    // A count budget needs no prices.
    assert.equal(validatePolicy({ version: 1, rules: [{ ...costRule, when: { signal: 'budget_total_count_used', op: '>=', value: 1000 } }] }).ok, true);
  });

  it('refuses a bad country code, a negative price, a missing default and an unknown field', () => {
    assert.deepEqual(errorsOf({ version: 1, prices: { default: 0.05, countries: { gb: 0.04 } }, rules: [] }), ['prices.countries.gb: not an ISO 3166 country code (two capital letters, e.g. GB)']);
    assert.ok(errorsOf({ version: 1, prices: { default: 0.05, countries: { GB: -1 } }, rules: [] }).some((e) => e.startsWith('prices.countries.GB:')));
    assert.ok(errorsOf({ version: 1, prices: { countries: { GB: 0.04 } }, rules: [] }).some((e) => e.startsWith('prices:')));
    assert.ok(errorsOf({ version: 1, prices: { default: 0.05, currency: 'euro' }, rules: [] }).some((e) => e.startsWith('prices.currency:')));
    assert.ok(errorsOf({ version: 1, prices: { default: 0.05, cost: 1 }, rules: [] }).some((e) => e.startsWith('prices: unknown field(s) cost')));
  });
});
