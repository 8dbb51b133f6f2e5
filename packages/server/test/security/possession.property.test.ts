/**
 * Issue 8, "possession can never be transferred", as a property: random sequences of integrator
 * and browser steps against ONE real server (a ManualClock injected). Checked:
 *
 * - after every step: no reply is a 5xx; every error body is exactly `{code, message}`; a refused
 *   step is 200 `{next: '', error: {code: 10003, message: 'step not allowed: …'}}`;
 * - whenever `/v3/unify-status` says success "true" with phoneNumber N (it is read after every
 *   step that replied with a success, on status steps, and for every session at the end; a
 *   success that appears anywhere else fails the property), the model confirms it:
 *   (a) the proof the finishing step consumed (OTP code, Instant Link, carrier vfp) was issued
 *       to N in this session, no message of the session went to another number after it, and it
 *       had not expired; or (b) a Prove Key bound to N for this client (per the model's bindings)
 *       verified; or (c) the integrator called unify-bind for N after possession_required (and,
 *       on a mobile session, the proof that led there was itself valid for N);
 * - a finished outcome never changes; at most 4 messages go out per session and channel; a start
 *   that says it sent a message sent exactly one, to the number asked for (or the session's own).
 *
 * The model knows what was sent to whom by reading the outbox after every start. Each generated
 * sequence uses the server's two clients (tenants) with fresh Prove Keys, on a pool of four
 * numbers (two of them recognised by the sandbox carrier, one of those the line it discovers for a
 * session started without a number), so bindings, collisions and cross-tenant replays happen
 * within a sequence while sequences stay independent of each other.
 *
 * Runs: FC_NUM_RUNS (default 2000 on SQLite; on PostgreSQL, where every step is a network round
 * trip, FC_NUM_RUNS_POSTGRES, default 200). A failure prints fast-check's report with the seed and
 * path, and the run's step trace. Replay one exactly:
 *   FC_SEED=<seed> FC_PATH=<path> node scripts/test.mjs --no-postgres possession.property
 * (FC_SEED alone re-runs the same generated sequences; FC_MAX_STEPS sets the sequence length,
 * FC_INVARIANT_ONLY=1 leaves out the message rules and checks only the wire rules and the invariant.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { UnifyResult } from '@handset/protocol';
import { OTP_TTL_SECONDS, SESSION_TTL_SECONDS } from '@handset/protocol';
import { ManualClock } from '../../src/ports/clock.js';
import { DEFAULT_POLICY } from '../../src/policy/default-policy.js';
import { listOutbox } from '../../src/store/outbox-repo.js';
import { startTestServer, testDatabaseUrl, type TestServer } from '../../src/testing.js';
import {
  ClockedClient,
  codeIn,
  Integrator,
  KeepAliveTransport,
  linkIn,
  SIX_DIGIT_OTP,
  STEP_NOT_ALLOWED,
  TARGET,
  TOO_MANY_MESSAGES,
  wrongCode,
  type Sms,
} from '../support/attack.js';
import { DeviceKey } from '../support/device-key.js';
import type { Reply } from '../support/protocol-client.js';

const POOL = ['+12025550601', '+12025550602', '+12025550603', '+12025550604'] as const;
/** The sandbox carrier recognises these two: Mobile Auth passes for them. */
const MA_NUMBERS: string[] = [POOL[0], POOL[1]];
/** The line the sandbox carrier discovers for a session started without a number. */
const LINE = POOL[1];
const MAX_MESSAGES_PER_CHANNEL = 4;
/** Slack for the 1 ms every call moves the clock, on the model's expiry judgements. */
const SLACK_MS = 1000;

const onPostgres = testDatabaseUrl() !== null;
const NUM_RUNS = Number(
  (onPostgres ? process.env.FC_NUM_RUNS_POSTGRES : undefined) ?? process.env.FC_NUM_RUNS ?? (onPostgres ? 200 : 2000),
);
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const PATH = process.env.FC_PATH;
/** FC_INVARIANT_ONLY=1 checks only the wire rules and the possession invariant, not the message rules. */
const INVARIANT_ONLY = process.env.FC_INVARIANT_ONLY === '1';
/** Generated steps per sequence after the first unify (a burst counts as one). */
const MAX_STEPS = Number(process.env.FC_MAX_STEPS ?? 12);

// ---------------------------------------------------------------------------------------------
// Steps

type Pool = 0 | 1 | 2 | 3;
type Step =
  /** `number: 'again'` is the number of the latest session: returning users, keys met again. */
  | { kind: 'unify'; type: 'mobile' | 'desktop' | 'none'; number: Pool | 'again' | 'absent'; tenant: 0 | 1; rebind: boolean; retry: boolean }
  | { kind: 'device'; s: number; key: 0 | 1 }
  | { kind: 'deviceForeign'; s: number; key: 0 | 1 }
  | { kind: 'deviceSkip'; s: number }
  | { kind: 'maStart'; s: number; implementation: 'fetch' | 'pixel' }
  | { kind: 'maCarrier'; s: number; mode: 'fetch' | 'pixel' }
  | { kind: 'maFinish'; s: number; which: 'current' | 'stale' | 'empty' | 'foreign' | 'garbage' }
  | { kind: 'maReport'; s: number }
  | { kind: 'otpStart'; s: number; to: 'resend' | 'invalid' | Pool }
  | { kind: 'otpFinish'; s: number; which: 'current' | 'stale' | 'wrong' | 'foreign' }
  | { kind: 'otpReport'; s: number }
  | { kind: 'linkStart'; s: number; to: 'first' | 'resend' | 'invalid' | Pool }
  | { kind: 'linkOpen'; s: number; which: 'current' | 'stale' }
  | { kind: 'bind'; s: number; number: 'own' | Pool }
  | { kind: 'status'; s: number }
  | { kind: 'clock'; seconds: number };
/** Bursts that the generator favours, expanded into steps before a run: they reach the caps. */
type Macro =
  | Step
  /** A session and, for `device` 0 or 1, at once the device step with that key (a returning browser). */
  | (Omit<Extract<Step, { kind: 'unify' }>, 'kind'> & { kind: 'session'; device: 0 | 1 | null })
  | { kind: 'otpResends'; s: number; times: number }
  | { kind: 'linkResends'; s: number; times: number }
  | { kind: 'maFlow'; s: number; mode: 'fetch' | 'pixel' };

function expand(macros: Macro[]): Step[] {
  return macros.flatMap((m): Step[] => {
    switch (m.kind) {
      case 'otpResends':
        return Array.from({ length: m.times }, () => ({ kind: 'otpStart', s: m.s, to: 'resend' }) as const);
      case 'linkResends':
        return Array.from({ length: m.times }, () => ({ kind: 'linkStart', s: m.s, to: 'resend' }) as const);
      case 'session': {
        const { device, ...unify } = m;
        const opened: Step = { ...unify, kind: 'unify' };
        return device === null || unify.type === 'desktop' ? [opened] : [opened, { kind: 'device', s: 0, key: device }];
      }
      case 'maFlow':
        return [
          { kind: 'maStart', s: m.s, implementation: m.mode },
          { kind: 'maCarrier', s: m.s, mode: m.mode },
          { kind: 'maFinish', s: m.s, which: m.mode === 'pixel' ? 'empty' : 'current' },
        ];
      default:
        return [m];
    }
  });
}

const pool = fc.constantFrom<Pool>(0, 1, 2, 3);
/** Which session a step acts on, counted from the latest (0): most steps go to the newest one. */
const slot = fc.constantFrom(0, 0, 0, 1, 2);
type SessionType = 'mobile' | 'desktop' | 'none';
const sessionType = fc.constantFrom<SessionType>('mobile', 'desktop', 'none');
const key = fc.constantFrom<0 | 1>(0, 0, 0, 1);
/** Each kind of step with its weight when the run's first session is [mobile, desktop, none]. */
const unifyLike = (type: SessionType): fc.Arbitrary<Macro> =>
  fc.record({
    kind: fc.constant('session' as const),
    device: fc.constantFrom<0 | 1 | null>(0, 0, 1, null),
    // Mostly another session of the run's kind, so its keys and numbers are met again.
    type: fc.oneof(fc.constant(type), fc.constant(type), sessionType),
    // 'absent': a session started without a number (a key, the carrier, the user or the integrator supplies it).
    number: fc.oneof({ arbitrary: fc.constant('again' as const), weight: 4 }, { arbitrary: pool, weight: 4 }, { arbitrary: fc.constant('absent' as const), weight: 1 }),
    tenant: fc.constantFrom<0 | 1>(0, 0, 0, 1),
    rebind: fc.boolean(),
    retry: fc.boolean(),
  });
const STEPS: Array<[fc.Arbitrary<Macro> | ((type: SessionType) => fc.Arbitrary<Macro>), [number, number, number]]> = [
  [unifyLike, [3, 2, 3]],
  [fc.record({ kind: fc.constant('device' as const), s: slot, key }), [4, 1, 5]],
  [fc.record({ kind: fc.constant('deviceForeign' as const), s: slot, key }), [1, 0, 2]],
  [fc.record({ kind: fc.constant('deviceSkip' as const), s: slot }), [1, 1, 1]],
  [fc.record({ kind: fc.constant('maStart' as const), s: slot, implementation: fc.constantFrom('fetch' as const, 'pixel' as const) }), [2, 0, 0]],
  [fc.record({ kind: fc.constant('maCarrier' as const), s: slot, mode: fc.constantFrom('fetch' as const, 'fetch' as const, 'pixel' as const) }), [2, 0, 0]],
  [fc.record({ kind: fc.constant('maFinish' as const), s: slot, which: fc.constantFrom('current' as const, 'current' as const, 'stale' as const, 'empty' as const, 'foreign' as const, 'garbage' as const) }), [2, 0, 0]],
  [fc.record({ kind: fc.constant('maReport' as const), s: slot }), [1, 0, 0]],
  [fc.record({ kind: fc.constant('maFlow' as const), s: slot, mode: fc.constantFrom('fetch' as const, 'fetch' as const, 'pixel' as const) }), [3, 0, 0]],
  [fc.record({ kind: fc.constant('otpStart' as const), s: slot, to: fc.oneof(fc.constant('resend' as const), fc.constant('invalid' as const), pool, pool) }), [6, 1, 1]],
  [fc.record({ kind: fc.constant('otpResends' as const), s: slot, times: fc.integer({ min: 1, max: 4 }) }), [4, 0, 0]],
  [fc.record({ kind: fc.constant('otpFinish' as const), s: slot, which: fc.constantFrom('current' as const, 'current' as const, 'current' as const, 'stale' as const, 'wrong' as const, 'foreign' as const) }), [6, 0, 0]],
  [fc.record({ kind: fc.constant('otpReport' as const), s: slot }), [1, 0, 0]],
  [fc.record({ kind: fc.constant('linkStart' as const), s: slot, to: fc.oneof(fc.constant('first' as const), fc.constant('resend' as const), fc.constant('invalid' as const), pool, pool) }), [1, 6, 0]],
  [fc.record({ kind: fc.constant('linkResends' as const), s: slot, times: fc.integer({ min: 1, max: 4 }) }), [0, 4, 0]],
  [fc.record({ kind: fc.constant('linkOpen' as const), s: slot, which: fc.constantFrom('current' as const, 'current' as const, 'stale' as const) }), [1, 6, 0]],
  [fc.record({ kind: fc.constant('bind' as const), s: slot, number: fc.oneof(fc.constant('own' as const), fc.constant('own' as const), pool) }), [1, 1, 5]],
  [fc.record({ kind: fc.constant('status' as const), s: slot }), [1, 1, 1]],
  // Mostly short jumps (codes expire after 120 s), sometimes past a link (300 s) or the session (15 min).
  [fc.record({ kind: fc.constant('clock' as const), seconds: fc.oneof(fc.integer({ min: 30, max: 150 }), fc.integer({ min: 30, max: 20 * 60 })) }), [1, 1, 1]],
];
const stepsFor = (type: SessionType): fc.Arbitrary<Macro> => {
  const column = type === 'mobile' ? 0 : type === 'desktop' ? 1 : 2;
  return fc.oneof(
    ...STEPS.filter(([, w]) => w[column] > 0).map(([arbitrary, w]) => ({
      arbitrary: typeof arbitrary === 'function' ? arbitrary(type) : arbitrary,
      weight: w[column],
    })),
  );
};
/** Every sequence opens with a session, so steps have something to act on; the steps favour its kind. */
const firstUnify = fc.record({
  kind: fc.constant('session' as const),
  device: fc.constantFrom<0 | 1 | null>(0, 0, 1, null, null),
  type: fc.constantFrom<SessionType>('mobile', 'mobile', 'desktop', 'none'),
  number: pool,
  tenant: fc.constant<0 | 1>(0),
  rebind: fc.boolean(),
  retry: fc.boolean(),
});
const sequenceArb: fc.Arbitrary<Macro[]> = firstUnify.chain((first) =>
  fc.array(stepsFor(first.type), { minLength: 1, maxLength: MAX_STEPS }).map((rest): Macro[] => [first, ...rest]),
);

// ---------------------------------------------------------------------------------------------
// The model

interface Sent {
  channel: 'otp' | 'link';
  to: string;
  code: string | null;
  link: string | null;
  at: number;
}

/** The step that produced a success reply, and what it consumed. */
type Finisher =
  | { kind: 'otp'; code: string }
  | { kind: 'link'; link: string }
  | { kind: 'ma'; vfp: string }
  | { kind: 'device'; deviceId: string | null; registered: boolean }
  | { kind: 'bind'; phone: string };

/** A Prove Key whose key pair is made on first use (most runs never use most keys). */
class LazyKey {
  #key: DeviceKey | null = null;
  deviceId: string | null = null;
  get key(): DeviceKey {
    this.#key ??= new DeviceKey();
    this.#key.deviceId = this.deviceId;
    return this.#key;
  }
}

interface Tenant {
  integrator: Integrator;
  keys: [LazyKey, LazyKey];
  /** deviceId → the number it is bound to, as the model saw it happen. */
  bindings: Map<string, string>;
}

interface SessionModel {
  tenant: Tenant;
  correlationId: string;
  client: ClockedClient;
  type: 'mobile' | 'desktop' | 'none';
  /** The number given to /v3/unify, or null for a session started without one. */
  initial: string | null;
  createdAt: number;
  messages: Sent[];
  /** Carrier answers for this session: vfps (fetch) and pixel confirmations (''). */
  vfps: Array<{ vfp: string; at: number; number: string | null; startsAfter: number }>;
  redirectUrls: string[];
  /** Start calls (OTP / Instant Link) that were not refused as an invalid number, in order. */
  starts: number;
  /** The first terminal status seen, which must never change. */
  terminal: UnifyResult | null;
  /** possession_required was seen; `validFor` is the number the proof that led there was valid for. */
  possessionRequired: { validFor: string | null } | null;
}

class Violation extends Error {}

// ---------------------------------------------------------------------------------------------

describe('possession can never be transferred (property)', () => {
  let server: TestServer;
  let clock: ManualClock;
  let lastOutbox: Sms[] = [];
  let runs = 0;
  let integrators: Integrator[] = [];
  /** Every platform call of the property goes through one keep-alive agent (node:http, real sockets). */
  const transport = new KeepAliveTransport();

  // Its own policy: the default's line-type rule without the send caps. The four-number pool meets
  // again by design, thousands of texts on one server, and the model knows only the resend cap;
  // the caps are played by the policy's own attack tests (docs/decisions.md E3).
  const policyDir = mkdtempSync(join(tmpdir(), 'handset-property-policy-'));
  const policyFile = join(policyDir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ version: 1, rules: DEFAULT_POLICY.rules.filter((r) => 'signal' in r.when && r.when.signal === 'line_type') }));

  before(async () => {
    clock = new ManualClock(Date.parse('2026-04-01T00:00:00Z'));
    server = await startTestServer({
      overrides: { clock, env: { ...process.env, HANDSET_POLICY_FILE: policyFile } },
      mobileAuthNumbers: MA_NUMBERS,
      config: { mobileAuthLine: LINE },
    });
    assert.deepEqual(server.server.deps.policy.current.policy.rules.map((r) => r.id), ['deny-premium-rate']);
    integrators = [
      new Integrator(server.url, server, transport.post),
      new Integrator(server.url, await server.createClient('second tenant'), transport.post),
    ];
  });
  after(async () => {
    transport.close();
    await server.close();
    rmSync(policyDir, { recursive: true, force: true });
  });

  /** The newest outbox messages (a short read: a step sends at most one). */
  async function recentOutbox(): Promise<Sms[]> {
    return (await listOutbox(server.server.deps.db.kysely, 16)).map((r) => ({ to: r.to_e164, body: r.body }));
  }

  /** The messages sent since the last look, oldest first (the outbox lists newest first). */
  async function newMessages(): Promise<Sms[]> {
    const now = await recentOutbox();
    const window = Math.min(lastOutbox.length, 10);
    let n = 0;
    if (window > 0) {
      const same = (k: number): boolean => lastOutbox.slice(0, window).every((m, i) => now[k + i]?.to === m.to && now[k + i]?.body === m.body);
      while (n <= now.length - window && !same(n)) n += 1;
      if (n > now.length - window) n = now.length; // the old head scrolled out of the window: everything is new
    } else {
      n = now.length;
    }
    lastOutbox = now;
    return now.slice(0, n).reverse();
  }

  async function runSequence(macros: Macro[]): Promise<void> {
    const steps = expand(macros);
    runs += 1;
    const trace: string[] = [];
    const fail = (message: string): never => {
      throw new Violation(`${message}\n--- steps of this run:\n${trace.join('\n')}`);
    };
    const check = (condition: unknown, message: string): void => {
      if (!condition) fail(message);
    };
    /** The message rules of the contract (caps, where messages go), checked unless FC_INVARIANT_ONLY=1. */
    const contract = (condition: unknown, message: string): void => {
      if (!INVARIANT_ONLY) check(condition, message);
    };

    // The two clients are shared by all runs; the Prove Keys are new in every run, so no binding
    // from an earlier run can be met (the model's bindings start empty).
    const tenants: Tenant[] = integrators.map((integrator) => ({ integrator, keys: [new LazyKey(), new LazyKey()], bindings: new Map() }));
    const sessions: SessionModel[] = [];
    lastOutbox = await recentOutbox();

    const numberOf = (s: SessionModel): string | null => s.messages.at(-1)?.to ?? s.initial;

    /** Checks the wire rules of a client-protocol reply. */
    const checkClientReply = (reply: Reply, what: string): void => {
      check(reply.status < 500, `${what}: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
      const body = reply.body as unknown as Record<string, unknown>;
      if (reply.status !== 200) {
        check(
          body && typeof body === 'object' && Object.keys(body).sort().join() === 'code,message' && typeof body.code === 'number' && typeof body.message === 'string',
          `${what}: an error body is exactly {code, message}: HTTP ${reply.status} ${JSON.stringify(body)}`,
        );
        return;
      }
      check(typeof body.next === 'string', `${what}: an envelope has next: ${JSON.stringify(body)}`);
      const error = body.error as Record<string, unknown> | undefined;
      if (error !== undefined) {
        check(
          Object.keys(error).sort().join() === 'code,message' && typeof error.code === 'number' && typeof error.message === 'string',
          `${what}: error is exactly {code, message}: ${JSON.stringify(body)}`,
        );
        if (error.code === STEP_NOT_ALLOWED) {
          check(body.next === '' && /^step not allowed: /.test(error.message as string), `${what}: 10003 is {next: '', error: {message: 'step not allowed: …'}}: ${JSON.stringify(body)}`);
        }
      }
      const data = body.data as Record<string, unknown> | undefined;
      if (data && data.code !== undefined) check(typeof data.message === 'string', `${what}: data.code comes with data.message: ${JSON.stringify(body)}`);
    };

    /** Was the OTP code / link `proof` issued to `phone` in `s`, with nothing sent elsewhere since, and still fresh? */
    const proofValidFor = (s: SessionModel, phone: string, matches: (m: Sent) => boolean, ttlMs: number): string | null => {
      const candidates = s.messages.map((m, i) => ({ m, i })).filter(({ m }) => matches(m));
      if (candidates.length === 0) return 'the proof was never sent in this session';
      const ok = candidates.some(({ m, i }) => m.to === phone && s.messages.slice(i + 1).every((later) => later.to === phone) && clock.now() - m.at <= ttlMs + SLACK_MS);
      if (ok) return null;
      const { m, i } = candidates.at(-1)!;
      if (m.to !== phone) return `the proof was sent to ${m.to}, not ${phone}`;
      if (s.messages.slice(i + 1).some((later) => later.to !== phone)) return 'a message went to another number after the proof (a change of number)';
      return `the proof had expired (${clock.now() - m.at} ms old)`;
    };

    /** Why a success (or possession_required) for `phone` after `finisher` is not justified, or null when it is. */
    const unjustified = (s: SessionModel, phone: string, finisher: Finisher | null, deviceIdBefore: Map<string, string>): string | null => {
      if (clock.now() > s.createdAt + SESSION_TTL_SECONDS * 1000 + SLACK_MS) return 'the session had expired';
      if (!finisher) return 'no step replied with a success';
      switch (finisher.kind) {
        case 'otp':
          if (s.type !== 'mobile') return `OTP on a ${s.type} session`;
          return proofValidFor(s, phone, (m) => m.channel === 'otp' && m.code === finisher.code, OTP_TTL_SECONDS * 1000);
        case 'link':
          if (s.type !== 'desktop') return `an Instant Link on a ${s.type} session`;
          return proofValidFor(s, phone, (m) => m.link === finisher.link, server.server.deps.config.instantLinkTtlSeconds * 1000);
        case 'ma': {
          if (s.type !== 'mobile') return `Mobile Auth on a ${s.type} session`;
          if (!MA_NUMBERS.includes(phone)) return `the carrier does not know ${phone}`;
          const issued = s.vfps.filter((v) => v.vfp === finisher.vfp);
          if (issued.length === 0) return 'the vfp was not issued for this session';
          // Without a number the carrier vouches for the line the browser is on (number discovery).
          if (!issued.some((v) => (v.number === phone || (v.number === null && phone === LINE)) && v.startsAfter === s.starts)) {
            return 'the vfp was issued before a change of number (or for another number)';
          }
          return null;
        }
        case 'device':
          if (s.type === 'desktop') return 'a device step on a desktop session';
          if (finisher.registered || !finisher.deviceId) return 'a newly registered key proves nothing';
          if (deviceIdBefore.get(finisher.deviceId) !== phone) return `the key was bound to ${deviceIdBefore.get(finisher.deviceId) ?? 'nothing'}, not ${phone}`;
          return null;
        case 'bind':
          // The integrator proved possession itself (customer-supplied); on a mobile session the
          // proof that led to possession_required must have been valid for the number.
          if (finisher.phone !== phone) return `bound with ${finisher.phone}, success for ${phone}`;
          if (s.type === 'desktop') return 'a bind on a desktop session';
          if (s.type === 'mobile' && s.possessionRequired?.validFor !== phone) return 'the proof that led to possession_required was not valid for this number';
          return null;
      }
    };

    /** Reads the status and judges it; `finisher` is the step just run on this session, if it replied success. */
    const judge = async (s: SessionModel, finisher: Finisher | null, bindingsBefore: Map<string, string>, what: string): Promise<void> => {
      const reply = await s.tenant.integrator.post<UnifyResult>('/v3/unify-status', { correlationId: s.correlationId });
      check(reply.status === 200, `${what}: status HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
      const status = reply.body;
      trace.push(`    status: ${JSON.stringify({ success: status.success, phoneNumber: status.phoneNumber, deviceId: status.deviceId ? 'yes' : undefined })}`);
      if (s.terminal) {
        check(JSON.stringify(status) === JSON.stringify(s.terminal), `${what}: a finished outcome changed: ${JSON.stringify(s.terminal)} → ${JSON.stringify(status)}`);
        return;
      }
      const phone = status.phoneNumber ?? '';
      if (status.success === 'true') {
        const why = unjustified(s, phone, finisher, bindingsBefore);
        if (why) fail(`${what}: unify-status says success "true" for ${phone}, but ${why}: ${JSON.stringify(status)}`);
        check(s.type !== 'desktop' || status.deviceId === undefined, `${what}: a desktop success carries no deviceId`);
        if (status.deviceId) s.tenant.bindings.set(status.deviceId, phone);
        s.terminal = status;
      } else if (status.success === 'false') {
        s.terminal = status;
      } else if (status.success === 'possession_required' && !s.possessionRequired) {
        const validFor = s.type === 'mobile' && finisher && finisher.kind !== 'device' && !unjustified(s, phone, finisher, bindingsBefore) ? phone : null;
        s.possessionRequired = { validFor };
      }
    };

    const pick = (index: number): SessionModel => sessions[sessions.length - 1 - (index % sessions.length)]!;
    const otherSessions = (s: SessionModel): SessionModel[] => sessions.filter((x) => x !== s);

    /** An OTP or Instant Link start: checks what went out against the reply. */
    const afterStart = async (s: SessionModel, reply: Reply, channel: 'otp' | 'link', asked: string | null, what: string): Promise<void> => {
      const sent = await newMessages();
      const body = reply.body as { next?: string; data?: Record<string, unknown>; error?: unknown };
      const sentReply = channel === 'otp' ? reply.status === 200 && body.next === 'mobile/otp' && body.data === undefined && body.error === undefined
        : reply.status === 200 && body.next === '' && body.error === undefined && body.data !== undefined && Object.keys(body.data).length === 0;
      const code = body.data?.code;
      if (reply.status === 200 && body.error === undefined && code !== 2) s.starts += 1;
      if (asked === 'abc' && reply.status === 200 && body.error === undefined) {
        contract(code === 2, `${what}: an invalid number answers data.code 2: ${JSON.stringify(body)}`);
      }
      if (sentReply) {
        contract(asked !== 'abc', `${what}: a message went out for an invalid number`);
        const expected = asked ?? numberOf(s);
        contract(sent.length === 1, `${what}: the reply says a message went out, ${sent.length} did`);
        contract(sent[0]?.to === expected, `${what}: the message went to ${sent[0]?.to}, not ${expected}`);
      } else {
        contract(sent.length === 0, `${what}: no send in the reply (${JSON.stringify(body)}), yet ${sent.length} message(s) went out`);
        const onChannel = s.messages.filter((m) => m.channel === channel).length;
        if (code === TOO_MANY_MESSAGES) contract(onChannel >= MAX_MESSAGES_PER_CHANNEL, `${what}: refused at the cap after only ${onChannel} messages`);
      }
      for (const m of sent) {
        s.messages.push({ channel, to: m.to, code: channel === 'otp' ? codeIn(m.body) : null, link: channel === 'link' ? linkIn(m.body) : null, at: clock.now() });
      }
      const onChannel = s.messages.filter((m) => m.channel === channel).length;
      contract(onChannel <= MAX_MESSAGES_PER_CHANNEL, `${what}: ${onChannel} messages on one channel of one session`);
      trace.push(`    → ${JSON.stringify(body)}${sent.length ? ` sent to ${sent.map((m) => m.to).join(',')}` : ''}`);
    };

    for (const step of steps) {
      if (step.kind === 'clock') {
        trace.push(`clock +${step.seconds}s`);
        clock.advance(step.seconds * 1000);
        continue;
      }
      if (step.kind === 'unify') {
        const tenant = tenants[step.tenant]!;
        const phone = step.number === 'absent' ? null : step.number === 'again' ? (sessions.at(-1)?.initial ?? POOL[0]) : POOL[step.number];
        trace.push(`unify ${step.type} ${phone} tenant ${step.tenant}${step.rebind ? ' rebind' : ''}${step.retry ? ' retry' : ''}`);
        const request: Record<string, unknown> = { possessionType: step.type, clientRequestId: 'property', rebind: step.rebind, allowOTPRetry: step.retry };
        if (phone !== null) request.phoneNumber = phone;
        if (step.type === 'desktop') request.finalTargetUrl = TARGET;
        if (step.type === 'mobile') request.smsMessage = SIX_DIGIT_OTP;
        const reply = await tenant.integrator.post<{ success: string; correlationId: string; authToken: string }>('/v3/unify', request);
        check(reply.status === 200, `unify: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
        sessions.push({
          tenant,
          correlationId: reply.body.correlationId,
          client: new ClockedClient(reply.body.authToken, clock, undefined, transport.post),
          type: step.type,
          initial: phone,
          createdAt: clock.now(),
          messages: [],
          vfps: [],
          redirectUrls: [],
          starts: 0,
          terminal: null,
          possessionRequired: null,
        });
        continue;
      }

      const s = pick(step.s);
      const what = `${step.kind} on session ${sessions.indexOf(s)} (${s.type} ${s.initial})`;
      trace.push(`${JSON.stringify(step)} → session ${sessions.indexOf(s)} (${s.type}, now ${numberOf(s)})`);
      const bindingsBefore = new Map(s.tenant.bindings);
      let finisher: Finisher | null = null;
      let reply: Reply | null = null;
      switch (step.kind) {
        case 'device':
        case 'deviceForeign': {
          const owner = step.kind === 'device' ? s.tenant : tenants.find((t) => t !== s.tenant)!;
          const key = owner.keys[step.key];
          if (step.kind === 'deviceForeign' && !key.deviceId) continue;
          const registered = !key.deviceId;
          const deviceId = key.deviceId;
          reply = registered ? await s.client.register(key.key) : await s.client.verify(key.key);
          checkClientReply(reply, what);
          const data = reply.body.data as { deviceId?: string } | undefined;
          if (registered && data?.deviceId) key.deviceId = data.deviceId;
          // The Web SDK wipes its key on 10006.
          if (!registered && step.kind === 'device' && reply.body.error?.code === 10006) key.deviceId = null;
          if (reply.body.next === 'done' && !reply.body.error) finisher = { kind: 'device', deviceId: registered ? (data?.deviceId ?? null) : deviceId, registered };
          if (s.type === 'none' && reply.status === 200 && !reply.body.error) finisher = { kind: 'device', deviceId: registered ? (data?.deviceId ?? null) : deviceId, registered };
          break;
        }
        case 'deviceSkip':
          reply = await s.client.reportError('device/passive', 'no storage');
          checkClientReply(reply, what);
          break;
        case 'maStart': {
          reply = await s.client.call('/v1/client/mobile/instant/start', { cellularIp: null, implementation: step.implementation });
          checkClientReply(reply, what);
          const url = (reply.body.data as { redirectUrl?: string } | undefined)?.redirectUrl;
          if (url) s.redirectUrls.push(url);
          break;
        }
        case 'maCarrier': {
          const url = s.redirectUrls.at(-1);
          if (!url) continue;
          s.client.clock.advance(1);
          const response = await transport.get(step.mode === 'fetch' ? `${url}?r=f&sdkVersion=3.2.5` : url);
          check(response.status < 500, `${what}: carrier HTTP ${response.status}`);
          if (response.status === 200) {
            const vfp = step.mode === 'fetch' ? (JSON.parse(response.text) as { vfp: string }).vfp : '';
            s.vfps.push({ vfp, at: clock.now(), number: numberOf(s), startsAfter: s.starts });
          }
          trace.push(`    carrier → ${response.status}`);
          break;
        }
        case 'maFinish': {
          const own = s.vfps.filter((v) => v.vfp !== '');
          const foreign = otherSessions(s).flatMap((x) => x.vfps.filter((v) => v.vfp !== ''));
          const vfp =
            step.which === 'current' ? (s.vfps.at(-1)?.vfp ?? '')
            : step.which === 'stale' ? (own.length > 1 ? own[0]!.vfp : 'stale-vfp')
            : step.which === 'foreign' ? (foreign.at(-1)?.vfp ?? 'no-foreign-vfp')
            : step.which === 'empty' ? ''
            : 'garbage-vfp';
          reply = await s.client.call('/v1/client/mobile/instant/finish', { vfp });
          checkClientReply(reply, what);
          if (reply.body.next === 'done' && !reply.body.error) finisher = { kind: 'ma', vfp };
          break;
        }
        case 'maReport':
          reply = await s.client.reportError('mobile/instant', 'carrier refused', 10001);
          checkClientReply(reply, what);
          break;
        case 'otpStart': {
          const asked = step.to === 'resend' ? null : step.to === 'invalid' ? 'abc' : POOL[step.to];
          reply = await s.client.otpStart(asked ?? undefined);
          checkClientReply(reply, what);
          await afterStart(s, reply, 'otp', asked, what);
          break;
        }
        case 'otpFinish': {
          const codes = s.messages.map((m) => m.code).filter((c): c is string => c !== null);
          const latest = codes.at(-1) ?? '000000';
          const foreign = otherSessions(s).flatMap((x) => x.messages.map((m) => m.code).filter((c): c is string => c !== null));
          const code =
            step.which === 'current' ? latest
            : step.which === 'stale' ? (codes.length > 1 ? codes[codes.length - 2]! : wrongCode(latest))
            : step.which === 'foreign' ? (foreign.at(-1) ?? wrongCode(latest))
            : wrongCode(latest);
          reply = await s.client.otpFinish(code);
          checkClientReply(reply, what);
          if (reply.body.next === 'done' && !reply.body.error && !reply.body.data) finisher = { kind: 'otp', code };
          trace.push(`    → ${JSON.stringify(reply.body)}`);
          break;
        }
        case 'otpReport':
          reply = await s.client.reportError('mobile/otp', 'the user gave up');
          checkClientReply(reply, what);
          break;
        case 'linkStart': {
          const asked = step.to === 'first' ? undefined : step.to === 'resend' ? '' : step.to === 'invalid' ? 'abc' : POOL[step.to];
          reply = await s.client.instantLinkStart(asked);
          checkClientReply(reply, what);
          await afterStart(s, reply, 'link', typeof step.to === 'number' ? POOL[step.to] : step.to === 'invalid' ? 'abc' : null, what);
          break;
        }
        case 'linkOpen': {
          const links = s.messages.map((m) => m.link).filter((l): l is string => l !== null);
          const link = step.which === 'current' ? links.at(-1) : links.length > 1 ? links[links.length - 2] : undefined;
          if (!link) continue;
          s.client.clock.advance(1);
          const response = await transport.get(link);
          check([302, 404, 410].includes(response.status), `${what}: the link answered ${response.status}`);
          trace.push(`    → ${response.status}`);
          if (response.status === 302) finisher = { kind: 'link', link };
          break;
        }
        case 'bind': {
          const phone = step.number === 'own' ? (numberOf(s) ?? POOL[0]) : POOL[step.number];
          const bound = await s.tenant.integrator.bind(s.correlationId, phone);
          check(bound.status < 500, `${what}: bind HTTP ${bound.status}`);
          if (bound.status !== 200) {
            const body = bound.body as unknown as Record<string, unknown>;
            check(Object.keys(body).sort().join() === 'code,message', `${what}: bind error body ${JSON.stringify(body)}`);
          } else if (bound.body.success === 'true') {
            finisher = { kind: 'bind', phone };
          }
          trace.push(`    → ${bound.status} ${JSON.stringify(bound.body).slice(0, 120)}`);
          break;
        }
        case 'status':
          break;
      }
      if (reply && step.kind !== 'otpStart' && step.kind !== 'linkStart' && step.kind !== 'otpFinish') trace.push(`    → ${reply.status} ${JSON.stringify(reply.body).slice(0, 160)}`);
      // The status is read after every step that replied with a success (or may have led a
      // customer-supplied session to possession_required), after explicit status steps, and for
      // every session at the end of the run; not after the other steps, to keep runs short. That
      // stays sound: a success is accepted only right after a step that replied with a success, so
      // a success that any other step caused is caught at the next read (at the latest the final
      // one) as "no step replied with a success".
      const mayHaveMoved = finisher !== null || step.kind === 'status' || (s.type === 'none' && step.kind.startsWith('device'));
      if (mayHaveMoved) await judge(s, finisher, bindingsBefore, what);
    }
    // The end: every session's outcome once more.
    for (const s of sessions) await judge(s, null, new Map(s.tenant.bindings), `final status of session ${sessions.indexOf(s)}`);
  }

  it(`random step sequences never end in success for a number that did not receive the proof (${NUM_RUNS} runs)`, { timeout: 600_000 }, async () => {
    const started = Date.now();
    console.log(`fast-check seed ${SEED}${PATH ? ` path ${PATH}` : ''}, ${NUM_RUNS} runs${onPostgres ? ' (PostgreSQL)' : ''}`);
    try {
      await fc.assert(
        fc.asyncProperty(sequenceArb, async (steps) => {
          await runSequence(steps);
        }),
        { numRuns: NUM_RUNS, seed: SEED, ...(PATH ? { path: PATH } : {}) },
      );
    } catch (error) {
      // fast-check's report (seed, path, shrunk counterexample) followed by what went wrong in it.
      const cause = (error as { cause?: unknown }).cause;
      throw new Error(`${(error as Error).message}\n${cause instanceof Error ? cause.message : String(cause)}`);
    }
    console.log(`${runs} sequences in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.ok(PATH !== undefined || runs >= NUM_RUNS, `ran ${runs} sequences`);
  });
});
