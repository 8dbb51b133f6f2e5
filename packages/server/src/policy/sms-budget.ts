/**
 * @module sms-budget
 * The daily SMS budget, per client and in total, by count and by estimated cost. The budget
 * itself is a rule of the policy (`budget_client_cost_used >= 50` → `deny_send`), so it is
 * checked, shadowed, reloaded and explained like every other rule; this module counts what was
 * spent today (UTC day) in the shared policy counters and prices a text by its destination
 * country from the policy file's `prices` table (docs/fraud-policy.md "SMS budget").
 *
 * A send is counted before the decision (on PostgreSQL the counter rows stay locked until the
 * step commits, so two instances never both spend the last text) and given back when the
 * decision is not to send: the budget measures texts that went out, not texts asked for.
 */
import type { Logger } from 'pino';
import type { Prices } from './policy-schema.js';
import type { WindowCounters } from './window-counters.js';

export const BUDGET_SIGNALS = ['budget_client_count_used', 'budget_client_cost_used', 'budget_total_count_used', 'budget_total_cost_used'] as const;
export type BudgetSignal = (typeof BUDGET_SIGNALS)[number];

export const isBudgetSignal = (name: string): name is BudgetSignal => (BUDGET_SIGNALS as readonly string[]).includes(name);

/** Costs are counted in ten-thousandths of the currency unit (integers: the counter column is one). */
const COST_UNIT = 10_000;
/** A day's key is `<scope>:<YYYY-MM-DD>`; it lives two days so it outlasts its day whenever it started. */
const KEY_SECONDS = 2 * 86_400;

/** The UTC day of `now` (`2026-12-01`): budgets reset at 00:00 UTC. */
export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Estimated price of one text to `country`: the country's price, else the table's default. */
export function priceOf(prices: Prices, country: string): number {
  return prices.countries?.[country] ?? prices.default;
}

function counterOf(signal: BudgetSignal): { name: string; scope: 'client' | 'total'; cost: boolean } {
  const [, scope, unit] = signal.split('_') as [string, 'client' | 'total', 'count' | 'cost'];
  return { name: `policy:budget_${scope}_${unit}`, scope, cost: unit === 'cost' };
}

export interface BudgetKeys {
  client: string;
  country: string;
  now: number;
  /** Required for a cost signal (policy check refuses a cost rule without `prices`). */
  prices: Prices | undefined;
}

export interface BudgetSpend {
  /** Per signal, what was spent today before this text (cost in currency units). */
  signals: Partial<Record<BudgetSignal, number>>;
  /** Gives this text back (it was not sent). */
  giveBack(): Promise<void>;
}

/** Counts this text under each of `signals` and reports what was spent before it today. */
export async function spendBudget(counters: WindowCounters, signals: Iterable<BudgetSignal>, keys: BudgetKeys): Promise<BudgetSpend> {
  const day = utcDay(keys.now);
  const all = [...signals].map((signal) => {
    const { name, scope, cost } = counterOf(signal);
    const points = cost ? Math.round(priceOf(keys.prices ?? { default: 0 }, keys.country) * COST_UNIT) : 1;
    return { signal, cost, name, seconds: KEY_SECONDS, key: `${scope === 'client' ? keys.client : 'total'}:${day}`, points };
  });
  // A free text (price 0) spends nothing: its counters are read, not counted.
  const counted = all.filter((c) => c.points > 0);
  const read = all.filter((c) => c.points <= 0);
  const [countedTotals, readTotals] = await Promise.all([counters.addMany(counted), counters.readMany(read)]);
  const spent: Partial<Record<BudgetSignal, number>> = {};
  const report = (c: (typeof all)[number], total: number): void => {
    spent[c.signal] = c.cost ? (total - c.points) / COST_UNIT : total - c.points;
  };
  counted.forEach((c, i) => report(c, countedTotals[i]!));
  read.forEach((c, i) => report(c, readTotals[i]!));
  return {
    signals: spent,
    async giveBack() {
      await counters.removeMany(counted);
    },
  };
}

/**
 * Logs that a budget rule denied a text, once per rule, scope and day across every instance (a
 * marker counter: only its first count logs). Names the client and the budget, never a number.
 */
export async function alertBudgetExhausted(
  counters: WindowCounters,
  log: Logger,
  alert: { rule: string; reason: number; signals: BudgetSignal[]; client: string; now: number; spent: Partial<Record<BudgetSignal, number>> },
): Promise<boolean> {
  const perClient = alert.signals.some((s) => counterOf(s).scope === 'client');
  const day = utcDay(alert.now);
  const key = `${alert.rule}:${perClient ? alert.client : 'total'}:${day}`;
  if ((await counters.add('policy:budget_alert', KEY_SECONDS, key)) !== 1) return false;
  const spent = Object.fromEntries(alert.signals.map((s) => [s, alert.spent[s]]));
  log.error(
    { alert: 'sms_budget_exhausted', rule: alert.rule, reason: alert.reason, budget: alert.signals.join(','), scope: perClient ? 'client' : 'total', clientId: alert.client, window: day, spent },
    'SMS budget exhausted: texts are denied until the end of the UTC day',
  );
  return true;
}
