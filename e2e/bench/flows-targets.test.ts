/**
 * @module e2e/bench/flows-targets.test
 * The targets table `npm run bench:flows` prints (bench/flows/targets.ts): each of issue 13's
 * whole-flow targets is met or missed on the right side of its bound, and only the targets the
 * run's modes can answer are listed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTargets, yardstickLines, type FlowRow, type Summary } from '../../bench/flows/targets.js';

function row(flowsPerSecond: number, serverCpuMsPerFlow: number, highestP99: number): FlowRow {
  return { flowsPerSecond, serverCpuMsPerFlow, loadGeneratorCpuMsPerFlow: 0.5, calls: { unify: { p50: 1, p99: highestP99 / 2 }, 'otp finish': { p50: 1, p99: highestP99 } } };
}

const verdicts = (summary: Summary): Record<string, boolean> => Object.fromEntries(checkTargets(summary).map((c) => [c.target, c.met]));

describe('the whole-flow targets of issue 13', () => {
  it('are met at their bounds', () => {
    const summary: Summary = {
      sqlite: { 'mobile-otp': row(1500, 0.66, 20) },
      postgres: { 'mobile-otp': row(600, 2, 30), 'customer-bind': row(1000, 1, 10) },
      'postgres-2': { 'mobile-otp': row(480, 2, 30), 'customer-bind': row(800, 1, 10) },
    };
    const result = verdicts(summary);
    assert.deepEqual(Object.keys(result), [
      'SQLite, mobile flow: ≥ 1,500 flows/s',
      'SQLite, mobile flow: ≤ 0.66 ms server CPU per flow',
      'SQLite, mobile flow: p99 of every call ≤ 20 ms',
      'PostgreSQL one instance, mobile flow: ≥ 600 flows/s',
      'PostgreSQL two instances / one, mobile-otp: ≥ 0.8',
      'PostgreSQL two instances / one, customer-bind: ≥ 0.8',
    ]);
    assert.ok(Object.values(result).every(Boolean), JSON.stringify(result));
  });

  it('are missed just past their bounds, naming the slowest call', () => {
    const summary: Summary = {
      sqlite: { 'mobile-otp': row(1499, 0.67, 20.1) },
      postgres: { 'mobile-otp': row(599, 2, 30) },
      'postgres-2': { 'mobile-otp': row(479, 2, 30) },
    };
    const checks = checkTargets(summary);
    assert.ok(checks.every((c) => !c.met), JSON.stringify(checks));
    assert.equal(checks.find((c) => c.target.includes('p99'))?.measured, 'highest: otp finish 20.1 ms');
  });

  it('list only what the measured modes answer', () => {
    assert.deepEqual(checkTargets({ postgres: { 'customer-bind': row(100, 1, 1) } }), []);
    assert.equal(checkTargets({ sqlite: { 'customer-bind': row(100, 1, 1) } }).length, 0);
  });
});

describe('the mobile flow against the yardsticks', () => {
  it('gives CPU per flow in bare requests and the ratios to the skeletons', () => {
    const summary: Summary = {
      sqlite: { 'mobile-otp': row(300, 3, 20) },
      skeleton: { 'mobile-otp': row(500, 1.5, 20) },
      'skeleton-batched': { 'mobile-otp': row(750, 1.2, 20) },
    };
    assert.deepEqual(yardstickLines(summary, 30), [
      'Handset (SQLite), mobile flow: 3.00 ms server CPU per flow = 100 bare requests',
      'skeleton (SQLite), mobile flow: 1.50 ms server CPU per flow = 50 bare requests',
      'skeleton, steps batched (SQLite), mobile flow: 1.20 ms server CPU per flow = 40 bare requests',
      'Handset / skeleton: 2.00 (server CPU per flow), 0.60 (flows/s)',
      'skeleton batched / skeleton: 0.80 (server CPU per flow), 1.50 (flows/s)',
    ]);
  });

  it('print no ratio without both sides, and no bare-request count without the bare route', () => {
    assert.deepEqual(yardstickLines({ sqlite: { 'mobile-otp': row(300, 3, 20) } }, NaN), ['Handset (SQLite), mobile flow: 3.00 ms server CPU per flow = –']);
    assert.deepEqual(yardstickLines({ skeleton: { 'customer-bind': row(300, 3, 20) } }, 30), []);
  });
});
