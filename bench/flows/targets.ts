/**
 * @module bench/flows/targets
 * The whole-flow targets of issue 13, checked against one run's medians, as the table
 * `npm run bench:flows` prints last. The six-request mobile flow is the one the targets name; the
 * two-instance ratio is given for every flow measured in both PostgreSQL modes. Also printed: how
 * many flows/s the load generator's core could drive at its measured CPU per flow, so a rate
 * capped by the generator is not read as the server's.
 */

/** The medians of one mode and flow that the targets need. */
export interface FlowRow {
  flowsPerSecond: number;
  serverCpuMsPerFlow: number;
  loadGeneratorCpuMsPerFlow: number;
  calls: Record<string, { p50: number; p99: number }>;
}

export type Summary = Record<string, Record<string, FlowRow>>;

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

const TARGET_FLOW = 'mobile-otp';

/** Every target this run's modes and flows can answer. */
export function checkTargets(summary: Summary): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const sqlite = summary.sqlite?.[TARGET_FLOW];
  if (sqlite) {
    checks.push({ target: 'SQLite, mobile flow: ≥ 1,500 flows/s', measured: `${sqlite.flowsPerSecond.toFixed(0)} flows/s`, met: sqlite.flowsPerSecond >= 1500 });
    checks.push({ target: 'SQLite, mobile flow: ≤ 0.66 ms server CPU per flow', measured: `${sqlite.serverCpuMsPerFlow.toFixed(2)} ms`, met: sqlite.serverCpuMsPerFlow <= 0.66 });
    const [slowest, latency] = Object.entries(sqlite.calls).sort((a, b) => b[1].p99 - a[1].p99)[0] ?? ['–', { p99: NaN }];
    checks.push({ target: 'SQLite, mobile flow: p99 of every call ≤ 20 ms', measured: `highest: ${slowest} ${latency.p99.toFixed(1)} ms`, met: latency.p99 <= 20 });
  }
  const one = summary.postgres;
  const two = summary['postgres-2'];
  if (one?.[TARGET_FLOW]) {
    const rate = one[TARGET_FLOW].flowsPerSecond;
    checks.push({ target: 'PostgreSQL one instance, mobile flow: ≥ 600 flows/s', measured: `${rate.toFixed(0)} flows/s`, met: rate >= 600 });
  }
  if (one && two) {
    for (const flow of Object.keys(one).filter((f) => two[f])) {
      const ratio = two[flow]!.flowsPerSecond / one[flow]!.flowsPerSecond;
      checks.push({ target: `PostgreSQL two instances / one, ${flow}: ≥ 0.8`, measured: ratio.toFixed(2), met: ratio >= 0.8 });
    }
  }
  return checks;
}

/**
 * The mobile flow's server CPU against the run's two yardsticks: the bare route's CPU per request
 * (so flows of different hours compare: "bare requests per flow") and the skeleton's CPU per flow
 * (the same flow with nothing but its statements, crypto, validation and log lines).
 */
export function yardstickLines(summary: Summary, bareCpuUsPerRequest: number): string[] {
  const lines: string[] = [];
  const inBare = (ms: number): string => (Number.isFinite(bareCpuUsPerRequest) && bareCpuUsPerRequest > 0 ? `${((ms * 1000) / bareCpuUsPerRequest).toFixed(0)} bare requests` : '–');
  const handset = summary.sqlite?.[TARGET_FLOW];
  const skeleton = summary.skeleton?.[TARGET_FLOW];
  if (handset) lines.push(`Handset (SQLite), mobile flow: ${handset.serverCpuMsPerFlow.toFixed(2)} ms server CPU per flow = ${inBare(handset.serverCpuMsPerFlow)}`);
  if (skeleton) lines.push(`skeleton (SQLite), mobile flow: ${skeleton.serverCpuMsPerFlow.toFixed(2)} ms server CPU per flow = ${inBare(skeleton.serverCpuMsPerFlow)}`);
  const batched = summary['skeleton-batched']?.[TARGET_FLOW];
  if (batched) lines.push(`skeleton, steps batched (SQLite), mobile flow: ${batched.serverCpuMsPerFlow.toFixed(2)} ms server CPU per flow = ${inBare(batched.serverCpuMsPerFlow)}`);
  if (handset && skeleton) {
    lines.push(`Handset / skeleton: ${(handset.serverCpuMsPerFlow / skeleton.serverCpuMsPerFlow).toFixed(2)} (server CPU per flow), ${(handset.flowsPerSecond / skeleton.flowsPerSecond).toFixed(2)} (flows/s)`);
  }
  if (skeleton && batched) {
    lines.push(`skeleton batched / skeleton: ${(batched.serverCpuMsPerFlow / skeleton.serverCpuMsPerFlow).toFixed(2)} (server CPU per flow), ${(batched.flowsPerSecond / skeleton.flowsPerSecond).toFixed(2)} (flows/s)`);
  }
  return lines;
}

/** The targets table, then what the load generator's core could drive per mode and flow. */
export function printTargets(summary: Summary, bareCpuUsPerRequest = NaN): void {
  const yardsticks = yardstickLines(summary, bareCpuUsPerRequest);
  if (yardsticks.length > 0) console.log(`\nThe mobile flow against the yardsticks of this run:\n${yardsticks.map((l) => `  ${l}`).join('\n')}`);
  const checks = checkTargets(summary);
  if (checks.length > 0) {
    console.log('\nAgainst the targets of issue 13 (medians of this run):\n');
    console.log('| target | measured | |');
    console.log('| --- | --- | --- |');
    for (const c of checks) console.log(`| ${c.target} | ${c.measured} | ${c.met ? 'met' : 'missed'} |`);
  }
  console.log('\nThe load generator alone (one core, its CPU per flow) could drive at most:');
  for (const [mode, byFlow] of Object.entries(summary)) {
    const parts = Object.entries(byFlow).map(([flow, row]) => `${flow} ${(1000 / row.loadGeneratorCpuMsPerFlow).toFixed(0)} flows/s`);
    console.log(`  ${mode}: ${parts.join(', ')}`);
  }
}
