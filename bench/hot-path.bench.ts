/**
 * Micro comparisons of two source trees' hot-path pieces, in one process, interleaved rounds, the
 * minimum and median CPU µs per call of each (issue 13 item 3: what one change saves, measured
 * apart from the rest of the flow, because whole-flow figures on this shared machine move by
 * ±20 % between rounds):
 *
 * - `parse key`: a registration's Prove Key PEM (a new key every call) parsed and checked;
 * - `session step`: one SQLite transaction that locks a session by auth id and updates two columns,
 *   as every step of a flow does (through the tree's sessions repository);
 * - `identity`: a new number's proveId (`ensureIdentity`) in a transaction.
 *
 *   node --import tsx bench/hot-path.bench.ts BEFORE_TREE AFTER_TREE [--rounds 9] [--calls 2000]
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './support/stats.js';

const { values: options, positionals } = parseArgs({
  options: { rounds: { type: 'string', default: '9' }, calls: { type: 'string', default: '2000' } },
  allowPositionals: true,
});
const ROUNDS = Number(options.rounds);
const CALLS = Number(options.calls);
if (positionals.length !== 2) throw new Error('usage: hot-path.bench.ts BEFORE_TREE AFTER_TREE');

const pems = (n: number): string[] =>
  Array.from({ length: n }, () => {
    const der = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----`;
  });

interface Tree {
  name: string;
  cases: Record<string, (calls: number) => Promise<void> | void>;
  close(): Promise<void>;
}

async function load(name: string, root: string): Promise<Tree> {
  const src = (path: string): Promise<any> => import(pathToFileURL(join(resolve(root), 'packages/server/src', path)).href);
  const [signatures, database, sessions, devices] = await Promise.all([
    src('device-key/signatures.ts'),
    src('store/database.ts'),
    src('store/sessions-repo.ts'),
    src('store/devices-repo.ts'),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'handset-hot-path-'));
  const db = database.openDatabase(join(dir, 'handset.db'));
  await database.migrateToLatest(db);
  const k = db.kysely;
  await k.insertInto('clients').values({ id: 'c1', name: 'bench', namespace: 'ns', secret_hash: 'x', created_at: 0 } as never).execute();
  const authIds: string[] = [];
  for (let i = 0; i < 500; i++) {
    const authId = randomUUID();
    authIds.push(authId);
    const row = Object.fromEntries(sessions.STATUS_COLUMNS.map((c: string) => [c, null]));
    await k
      .insertInto('sessions')
      .values({
        ...row,
        correlation_id: randomUUID(), auth_id: authId, client_id: 'c1', token_id: randomUUID(), state: 'created', possession_type: 'mobile',
        challenge: 'c', allow_otp_retry: 0, rebind: 0, otp_attempts: 0, otp_resends: 0, link_resends: 0, mobile_auth_confirmed: 0,
        created_at: 0, expires_at: Date.now() + 3_600_000, purge_at: Date.now() + 7_200_000,
      } as never)
      .execute();
  }
  let n = 0;
  return {
    name,
    cases: {
      'parse key': (calls) => {
        for (const pem of pems(calls)) if (!signatures.parseDevicePublicKey(pem)) throw new Error('refused');
      },
      'session step': async (calls) => {
        for (let i = 0; i < calls; i++) {
          await k.transaction().execute(async (trx: unknown) => {
            const s = await sessions.lockSession(trx, 'sqlite', { column: 'auth_id', value: authIds[i % authIds.length] });
            await sessions.updateSession(trx, s.correlation_id, { otp_attempts: s.otp_attempts + 1, otp_sent_at: i });
          });
        }
      },
      identity: async (calls) => {
        for (let i = 0; i < calls; i++) {
          await k.transaction().execute((trx: unknown) => devices.ensureIdentity(trx, 'c1', `+1${name.length}${n++}`, randomUUID, 0));
        }
      },
    },
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const trees = [await load('before', positionals[0]!), await load('after', positionals[1]!)];
const results: Record<string, Record<string, number[]>> = {};
try {
  for (const tree of trees) for (const [, run] of Object.entries(tree.cases)) await run(200); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? trees : [...trees].reverse();
    for (const caseName of Object.keys(trees[0]!.cases)) {
      for (const tree of order) {
        const calls = caseName === 'parse key' ? Math.ceil(CALLS / 4) : CALLS;
        // Key pairs for `parse key` are made inside the run; subtract them with a run of makes alone.
        const before = process.cpuUsage();
        await tree.cases[caseName]!(calls);
        const used = process.cpuUsage(before);
        ((results[caseName] ??= {})[tree.name] ??= []).push((used.user + used.system) / calls);
      }
    }
  }
  // The key pairs' own cost, to subtract from `parse key`.
  const keygen: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage();
    pems(Math.ceil(CALLS / 4));
    const used = process.cpuUsage(before);
    keygen.push((used.user + used.system) / Math.ceil(CALLS / 4));
  }
  console.log(`| case | before: median (min) µs | after: median (min) µs | after/before (medians) |`);
  console.log('| --- | ---: | ---: | ---: |');
  for (const [caseName, byTree] of Object.entries(results)) {
    const less = caseName === 'parse key' ? median(keygen) : 0;
    const b = byTree.before!.map((v) => v - less);
    const a = byTree.after!.map((v) => v - less);
    console.log(`| ${caseName} | ${median(b).toFixed(1)} (${Math.min(...b).toFixed(1)}) | ${median(a).toFixed(1)} (${Math.min(...a).toFixed(1)}) | ${(median(a) / median(b)).toFixed(2)} |`);
  }
  console.log(`(parse key: the key pair's own making, median ${median(keygen).toFixed(1)} µs, subtracted)`);
} finally {
  for (const tree of trees) await tree.close();
}
