/**
 * Admin credentials, API tokens, console sessions and the audit, on the database of the pass
 * (in-memory SQLite, or a fresh PostgreSQL schema: this file starts a test server).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_SESSION_IDLE_MS, ADMIN_SESSION_MAX_MS, endAdminSession, findAdminSession, startAdminSession } from '../../src/admin/admin-sessions.js';
import { ADMIN_TOKEN_TTL_SECONDS, findAdminByToken, issueAdminToken } from '../../src/admin/admin-tokens.js';
import { createAdmin, disableAdmin, findAdmin, listAdmins, verifyAdminSecret } from '../../src/admin/admins-repo.js';
import { listAudit, recordAudit } from '../../src/admin/audit-log.js';
import { sha256Hex } from '../../src/lib/hash.js';
import { purgeExpired } from '../../src/store/maintenance.js';
import type { Executor } from '../../src/store/executor.js';
import { startTestServer, type TestServer } from '../../src/testing.js';

let server: TestServer;
let db: Executor;
const T0 = Date.parse('2030-01-01T00:00:00Z');

describe('admin store', () => {
  before(async () => {
    server = await startTestServer();
    db = server.server.deps.db.kysely;
  });
  after(() => server.close());

  it('createAdmin returns the secret once and stores only its SHA-256 hash', async () => {
    const created = await createAdmin(db, { name: 'alice' });
    assert.match(created.adminId, /^hsa_[A-Za-z0-9_-]{16}$/);
    assert.match(created.secret, /^hsas_[A-Za-z0-9_-]{43}$/);
    const row = await db.selectFrom('admins').selectAll().where('admin_id', '=', created.adminId).executeTakeFirstOrThrow();
    assert.equal(row.secret_hash, sha256Hex(created.secret));
    assert.ok(!JSON.stringify(row).includes(created.secret));
    assert.equal(row.disabled_at, null);
  });

  it('createAdmin refuses an empty or overlong name', async () => {
    await assert.rejects(createAdmin(db, { name: '   ' }), /1 to 100 characters/);
    await assert.rejects(createAdmin(db, { name: 'x'.repeat(101) }), /1 to 100 characters/);
  });

  it('verifyAdminSecret accepts the right secret only, and never a disabled admin', async () => {
    const { adminId, secret } = await createAdmin(db, { name: 'bob' });
    const ok = await verifyAdminSecret(db, adminId, secret);
    assert.equal(ok?.adminId, adminId);
    assert.equal(ok?.name, 'bob');
    assert.equal(await verifyAdminSecret(db, adminId, `${secret}x`), null);
    assert.equal(await verifyAdminSecret(db, adminId, ''), null);
    assert.equal(await verifyAdminSecret(db, 'hsa_unknown', secret), null);
    assert.equal(await disableAdmin(db, adminId, T0), true);
    assert.equal(await verifyAdminSecret(db, adminId, secret), null);
    assert.equal((await findAdmin(db, adminId))?.disabledAt, T0);
    // Disabling again keeps the first time; an unknown admin is reported.
    assert.equal(await disableAdmin(db, adminId, T0 + 5), true);
    assert.equal((await findAdmin(db, adminId))?.disabledAt, T0);
    assert.equal(await disableAdmin(db, 'hsa_unknown', T0), false);
  });

  it('listAdmins lists every admin without secrets', async () => {
    const { adminId, secret } = await createAdmin(db, { name: 'carol' });
    const list = await listAdmins(db);
    const carol = list.find((a) => a.adminId === adminId);
    assert.equal(carol?.name, 'carol');
    assert.ok(!JSON.stringify(list).includes(secret));
    assert.ok(!JSON.stringify(list).includes(sha256Hex(secret)));
  });

  it('API tokens: stored hashed, live for their TTL, dead once the admin is disabled', async () => {
    const { adminId } = await createAdmin(db, { name: 'dave' });
    const issued = await issueAdminToken(db, adminId, T0);
    assert.equal(issued.expiresAt, T0 + ADMIN_TOKEN_TTL_SECONDS * 1000);
    const rows = await db.selectFrom('admin_tokens').selectAll().where('admin_id', '=', adminId).execute();
    assert.deepEqual(rows.map((r) => r.token_hash), [sha256Hex(issued.token)]);
    assert.equal((await findAdminByToken(db, issued.token, T0 + 1000))?.adminId, adminId);
    assert.equal(await findAdminByToken(db, issued.token, issued.expiresAt), null, 'expired');
    assert.equal(await findAdminByToken(db, `${issued.token}x`, T0), null, 'unknown');
    await disableAdmin(db, adminId, T0 + 2000);
    assert.equal(await findAdminByToken(db, issued.token, T0 + 3000), null, 'admin disabled');
  });

  it('console sessions: hashed id, sliding idle timeout, absolute lifetime, sign-out', async () => {
    const { adminId } = await createAdmin(db, { name: 'erin' });
    const started = await startAdminSession(db, adminId, T0);
    assert.equal(started.expiresAt, T0 + ADMIN_SESSION_MAX_MS);
    const stored = await db.selectFrom('admin_sessions').selectAll().where('admin_id', '=', adminId).executeTakeFirstOrThrow();
    assert.equal(stored.session_hash, sha256Hex(started.sessionId));
    assert.ok(!JSON.stringify(stored).includes(started.sessionId));

    // Used every 20 minutes, the session lives on (the idle timeout slides)…
    let now = T0;
    for (let i = 0; i < 3; i++) {
      now += 20 * 60 * 1000;
      const live = await findAdminSession(db, started.sessionId, now);
      assert.equal(live?.admin.adminId, adminId);
      assert.equal(live?.csrfToken, started.csrfToken);
      assert.equal(live?.idleExpiresAt, now + ADMIN_SESSION_IDLE_MS);
    }
    // …but not once idle for longer than the limit.
    assert.equal(await findAdminSession(db, started.sessionId, now + ADMIN_SESSION_IDLE_MS), null);
    assert.equal(await findAdminSession(db, started.sessionId, now + 1), null, 'an ended session stays ended');

    // However busy, it ends at its absolute lifetime.
    const busy = await startAdminSession(db, adminId, T0);
    for (now = T0; now < T0 + ADMIN_SESSION_MAX_MS; now += 25 * 60 * 1000) {
      assert.ok(await findAdminSession(db, busy.sessionId, now));
    }
    assert.equal(await findAdminSession(db, busy.sessionId, T0 + ADMIN_SESSION_MAX_MS), null);

    const other = await startAdminSession(db, adminId, T0);
    assert.equal(await findAdminSession(db, `${other.sessionId}x`, T0), null, 'unknown id');
    assert.equal(await endAdminSession(db, other.sessionId), true);
    assert.equal(await findAdminSession(db, other.sessionId, T0), null, 'signed out');
    assert.equal(await endAdminSession(db, other.sessionId), false);

    const last = await startAdminSession(db, adminId, T0);
    await db.transaction().execute((trx) => disableAdmin(trx, adminId, T0 + 1));
    assert.equal(await findAdminSession(db, last.sessionId, T0 + 2), null, 'admin disabled');
    assert.equal((await db.selectFrom('admin_sessions').select('admin_id').where('admin_id', '=', adminId).execute()).length, 0);
  });

  it('the clean-up removes ended admin tokens and sessions', async () => {
    const { adminId } = await createAdmin(db, { name: 'frank' });
    await issueAdminToken(db, adminId, T0);
    await startAdminSession(db, adminId, T0);
    await purgeExpired(db, T0 + ADMIN_SESSION_IDLE_MS + 1);
    assert.equal((await db.selectFrom('admin_tokens').select('admin_id').where('admin_id', '=', adminId).execute()).length, 0);
    assert.equal((await db.selectFrom('admin_sessions').select('admin_id').where('admin_id', '=', adminId).execute()).length, 0);
  });

  it('the audit keeps who, what, when and where, newest first, paged; masks numbers and drops secret fields', async () => {
    const { adminId } = await createAdmin(db, { name: 'grace' });
    const at = T0 + 10_000;
    for (let i = 0; i < 5; i++) {
      await recordAudit(db, { adminId, action: 'test.paged', target: `t${i}`, detail: { i }, address: '127.0.0.1', at });
    }
    await recordAudit(db, {
      adminId,
      action: 'test.masked',
      target: '+12025550100',
      detail: { number: '+12025550100', note: 'call 2025550100', clientSecret: 'hss_x', token: 'x', id: '12345678-1234-4234-8234-123456789012' },
      at,
    });
    const masked = await listAudit(db, { action: 'test.masked', limit: 10 });
    assert.equal(masked.entries.length, 1);
    const entry = masked.entries[0]!;
    assert.equal(entry.target, '+*******0100');
    assert.deepEqual(entry.detail, { number: '+*******0100', note: 'call ******0100', id: '12345678-1234-4234-8234-123456789012' });
    assert.equal(entry.adminId, adminId);
    assert.equal(entry.at, at);

    const first = await listAudit(db, { adminId, action: 'test.paged', limit: 2 });
    assert.deepEqual(first.entries.map((e) => e.target), ['t4', 't3']);
    assert.ok(first.nextCursor);
    const second = await listAudit(db, { adminId, action: 'test.paged', limit: 2, cursor: first.nextCursor! });
    assert.deepEqual(second.entries.map((e) => e.target), ['t2', 't1']);
    const third = await listAudit(db, { adminId, action: 'test.paged', limit: 2, cursor: second.nextCursor! });
    assert.deepEqual(third.entries.map((e) => e.target), ['t0']);
    assert.equal(third.nextCursor, null);
    assert.equal(third.entries[0]!.address, '127.0.0.1');
    assert.deepEqual(third.entries[0]!.detail, { i: 0 });

    assert.equal((await listAudit(db, { adminId, from: at + 1, limit: 10 })).entries.length, 0);
    assert.equal((await listAudit(db, { adminId, to: at, limit: 10 })).entries.length, 0);
    assert.equal((await listAudit(db, { adminId, from: at, to: at + 1, limit: 10 })).entries.length, 6);
    await assert.rejects(listAudit(db, { limit: 1, cursor: "1' or 1=1" }), RangeError);
  });

  it('an audit entry written in a transaction that rolls back is gone with it', async () => {
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await recordAudit(trx, { adminId: null, action: 'test.rolled-back' });
        throw new Error('change failed');
      }),
      /change failed/,
    );
    assert.equal((await listAudit(db, { action: 'test.rolled-back', limit: 5 })).entries.length, 0);
  });
});
