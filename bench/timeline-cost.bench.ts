/**
 * Benchmark: what the session timeline (`session_events`, docs/admin.md) costs the database work
 * of `/v3/unify` and of a session step, measured in CPU time of this process (user + system),
 * which a busy shared machine disturbs far less than wall-clock throughput. Runs the real
 * repository functions on a SQLite file (WAL, as the platform opens it), interleaving rounds
 * without and with the timeline insert, and prints the medians and their ratio.
 *
 *   node --import tsx bench/timeline-cost.bench.ts      (TIMELINE_ROUNDS=7, TIMELINE_OPS=4000)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest, openDatabase, type Db } from '../packages/server/src/store/database.js';
import { appendSessionEvents, insertFirstSessionEvents } from '../packages/server/src/store/session-events-repo.js';
import { insertSession, lockSession, updateSession, type SessionRow } from '../packages/server/src/store/sessions-repo.js';
import { createdEntry } from '../packages/server/src/flows/timeline.js';

const ROUNDS = Number(process.env.TIMELINE_ROUNDS ?? 7);
const OPS = Number(process.env.TIMELINE_OPS ?? 4000);
/** Sessions per transaction, as the group commit batches them under load. */
const BATCH = 64;

function sessionRow(now: number): SessionRow {
  return {
    correlation_id: randomUUID(), auth_id: randomUUID(), client_id: 'hsc_bench', token_id: randomUUID(), state: 'created',
    possession_type: 'mobile', phone_e164: '+12025550100', phone_display: '+12025550100', prove_id: null, challenge: 'c'.repeat(32),
    final_target_url: null, sms_message: null, allow_otp_retry: 0, rebind: 0, client_request_id: 'bench', client_customer_id: null,
    client_human_id: null, email_address: null, ip_address: null, device_id: null, device_match: null, failure_reason: null,
    otp_hash: null, otp_sent_at: null, otp_attempts: 0, otp_resends: 0, link_hash: null, link_sent_at: null, link_resends: 0,
    proof_to: null, sim_swap_risk: null, policy_reasons: null, mobile_auth_vouched: null, mobile_auth_token: null, mobile_auth_confirmed: 0, created_at: now, expires_at: now + 900_000, ended_at: null,
    purge_at: now + 1_800_000,
  };
}

/** CPU microseconds of `work`. */
async function cpu(work: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await work();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/** `OPS` session inserts in batches, with or without the 'created' entry. */
async function inserts(db: Db, timeline: boolean, ids: string[]): Promise<number> {
  return cpu(async () => {
    for (let i = 0; i < OPS; i += BATCH) {
      await db.kysely.transaction().execute(async (trx) => {
        for (let j = 0; j < BATCH; j++) {
          const row = sessionRow(Date.now());
          await insertSession(trx, row);
          if (timeline) await insertFirstSessionEvents(trx, [createdEntry(row, row.created_at)]);
          ids.push(row.correlation_id);
        }
      });
    }
  });
}

/** `OPS` steps, each its own transaction: lock, update, and with the timeline one appended entry. */
async function steps(db: Db, timeline: boolean, ids: string[]): Promise<number> {
  return cpu(async () => {
    for (let i = 0; i < OPS; i++) {
      const id = ids[i % ids.length]!;
      await db.kysely.transaction().execute(async (trx) => {
        const found = await lockSession(trx, db.dialect, { column: 'correlation_id', value: id });
        await updateSession(trx, id, { otp_attempts: (found?.otp_attempts ?? 0) + 1 });
        if (timeline) {
          await appendSessionEvents(trx, db.dialect, [
            { correlation_id: id, at: Date.now(), type: 'otp_checked:wrong', from_state: 'otp_sent', to_state: 'otp_sent', reason: null, channel: null, destination: null },
          ]);
        }
      });
    }
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'handset-timeline-bench-'));
const db = openDatabase(join(dir, 'bench.db'));
try {
  await migrateToLatest(db);
  const ids: string[] = [];
  await inserts(db, true, ids); // warm-up: statement caches, JIT, a populated table
  const results = { insert: { off: [] as number[], on: [] as number[] }, step: { off: [] as number[], on: [] as number[] } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const timeline of round % 2 === 0 ? [false, true] : [true, false]) {
      const key = timeline ? 'on' : 'off';
      results.insert[key].push((await inserts(db, timeline, ids)) / OPS);
      results.step[key].push((await steps(db, timeline, ids)) / OPS);
    }
  }
  console.log(`SQLite file, ${ROUNDS} interleaved rounds of ${OPS} operations; CPU µs per operation (median)`);
  console.log('| operation | without timeline | with timeline | ratio |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, r] of Object.entries(results)) {
    const off = median(r.off);
    const on = median(r.on);
    console.log(`| ${name === 'insert' ? 'session insert (batches of 64)' : 'session step (own transaction)'} | ${off.toFixed(1)} | ${on.toFixed(1)} | ${(on / off).toFixed(2)} |`);
  }
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
