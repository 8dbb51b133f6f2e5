/**
 * Issue 8, "possession can never be transferred", on PostgreSQL with two `handset serve`
 * processes behind an imaginary load balancer: every step of the OTP and Instant Link attacks
 * alternates between instance A and instance B. Resends up to the cap, then a change of number
 * to the victim's number: refused (data.code 4), nothing is sent to it, and the attacker's own
 * proof finishes the session for the attacker's number only. The honest change of number (below
 * the cap) still works across instances.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { INSTANT_LINK_MAX_RESENDS, OTP_MAX_RESENDS } from '@handset/protocol';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import {
  assertCapped,
  assertDeadLink,
  assertKeyBoundTo,
  assertKeyNotBoundTo,
  assertNoSuccessFor,
  assertRedirected,
  assertSent,
  assertSuccessFor,
  dataCode,
  desktopSession,
  INVALID_OTP,
  Integrator,
  latestCode,
  latestLink,
  messagesTo,
  mobileSessionAtOtp,
  openLink,
} from '../support/attack.js';
import { DeviceKey } from '../support/device-key.js';
import { createClientWithCli, multiInstanceDatabase, startInstance, type Instance } from '../support/instances.js';
import type { ProtocolClient } from '../support/protocol-client.js';

const database = multiInstanceDatabase();
if (database.skip) console.log(`skipped: ${database.skip}`);

describe('number change across two instances on PostgreSQL (issue 8)', { skip: database.skip }, () => {
  let scratch: ScratchSchema;
  let a: Instance;
  let b: Instance;
  let onA: Integrator;
  let onB: Integrator;
  let next = 700;
  const number = (): string => `+12025550${String(next++).padStart(3, '0')}`;

  before(async () => {
    scratch = await createScratchSchema(database.url!, 'hs_numchange');
    [a, b] = await Promise.all([startInstance(scratch.url), startInstance(scratch.url)]);
    const credentials = await createClientWithCli(scratch.url, 'number-change');
    onA = new Integrator(a.url, credentials);
    onB = new Integrator(b.url, credentials);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await scratch?.drop();
  });

  /** The same browser session, its calls alternating A, B, A, … */
  function alternating(client: ProtocolClient): () => ProtocolClient {
    const both = [client.via(a.url), client.via(b.url)];
    let i = 0;
    return () => both[i++ % 2]!;
  }

  /** Waits (briefly) until `count` messages to `to` are in the outbox: another instance wrote them. */
  async function waitForMessages(to: string, count: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while ((await messagesTo(b.url, to)).length < count) {
      if (Date.now() > deadline) assert.fail(`${count} message(s) to ${to} expected in the outbox`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('OTP: resends to the cap and a change to the victim alternate between A and B; refused; A’s code finishes for the attacker only', async () => {
    const [mine, victim] = [number(), number()];
    const key = new DeviceKey();
    const session = await mobileSessionAtOtp(onA, mine, key, { endpoint: b.url });
    const via = alternating(session.client);
    assertSent(await via().otpStart(), 'otp', 'the first send');
    for (let i = 1; i <= OTP_MAX_RESENDS; i += 1) assertSent(await via().otpStart(), 'otp', `resend ${i}`);
    await waitForMessages(mine, 1 + OTP_MAX_RESENDS);
    assertCapped(await via().otpStart(victim), 'otp', 'the change to the victim at the cap (instance A)');
    assertCapped(await via().otpStart(victim), 'otp', 'again (instance B)');
    assert.equal((await messagesTo(a.url, victim)).length, 0, 'nothing to the victim');
    const pending = await onB.status(session.correlationId);
    assert.equal(pending.success, 'pending');
    assert.equal(pending.phoneNumber, mine);

    assert.deepEqual((await via().otpFinish(await latestCode(a.url, mine))).body, { next: 'done' });
    await assertSuccessFor(onA, session.correlationId, mine, key.deviceId);
    await assertNoSuccessFor(onB, session.correlationId, victim);
    await assertKeyNotBoundTo(onA, key, victim, b.url);
    await assertKeyBoundTo(onB, key, mine, a.url);
  });

  it('OTP: the attack steps as issue 8 describes them, whatever the replies: never a success for the victim', async () => {
    const [mine, victim] = [number(), number()];
    const key = new DeviceKey();
    const session = await mobileSessionAtOtp(onB, mine, key, { endpoint: a.url });
    const via = alternating(session.client);
    await via().otpStart();
    for (let i = 0; i < OTP_MAX_RESENDS; i += 1) await via().otpStart();
    await waitForMessages(mine, 1 + OTP_MAX_RESENDS);
    await via().otpStart(victim);
    const finish = await via().otpFinish(await latestCode(b.url, mine));
    assert.ok(finish.status < 500);
    await assertNoSuccessFor(onA, session.correlationId, victim);
    await assertKeyNotBoundTo(onB, key, victim, a.url);
  });

  it('OTP below the cap: the change on A sends the victim’s code; the attacker’s code entered on B is a wrong code', async () => {
    const [mine, other] = [number(), number()];
    const key = new DeviceKey();
    const session = await mobileSessionAtOtp(onA, mine, key, { endpoint: a.url, allowOTPRetry: true });
    const via = alternating(session.client);
    await via().otpStart();
    const myCode = await latestCode(b.url, mine);
    assertSent(await via().otpStart(other), 'otp', 'the change (instance B)');
    const otherCode = await latestCode(a.url, other);
    assert.notEqual(myCode, otherCode);
    const stale = await via().otpFinish(myCode);
    assert.equal(dataCode(stale), INVALID_OTP, `a code sent before the change: ${JSON.stringify(stale.body)}`);
    await assertNoSuccessFor(onB, session.correlationId, other);
    assert.deepEqual((await via().otpFinish(otherCode)).body, { next: 'done' }, 'the new number’s code');
    await assertSuccessFor(onB, session.correlationId, other, key.deviceId);
  });

  it('Instant Link: resends to the cap and a change alternate between A and B; refused; the attacker’s link succeeds for the attacker only', async () => {
    const [mine, victim] = [number(), number()];
    const session = await desktopSession(onB, mine, { endpoint: a.url });
    const via = alternating(session.client);
    assertSent(await via().instantLinkStart(), 'link', 'the first send');
    for (let i = 1; i <= INSTANT_LINK_MAX_RESENDS; i += 1) assertSent(await via().instantLinkStart(''), 'link', `resend ${i}`);
    await waitForMessages(mine, 1 + INSTANT_LINK_MAX_RESENDS);
    assertCapped(await via().instantLinkStart(victim), 'link', 'the change at the cap');
    assertCapped(await via().instantLinkStart(victim), 'link', 'again, on the other instance');
    assert.equal((await messagesTo(a.url, victim)).length, 0);
    assertRedirected(await openLink(await latestLink(a.url, mine, b.url)), 'the attacker’s latest link, opened on B');
    const status = await assertSuccessFor(onA, session.correlationId, mine);
    assert.equal(status.deviceId, undefined);
    await assertNoSuccessFor(onB, session.correlationId, victim);
  });

  it('Instant Link: the attack steps as issue 8 describes them, whatever the replies: never a success for the victim', async () => {
    const [mine, victim] = [number(), number()];
    const session = await desktopSession(onA, mine, { endpoint: b.url });
    const via = alternating(session.client);
    await via().instantLinkStart();
    for (let i = 0; i < INSTANT_LINK_MAX_RESENDS; i += 1) await via().instantLinkStart('');
    await waitForMessages(mine, 1 + INSTANT_LINK_MAX_RESENDS);
    await via().instantLinkStart(victim);
    const opened = await openLink(await latestLink(b.url, mine, a.url));
    assert.ok(opened.status < 500);
    await assertNoSuccessFor(onB, session.correlationId, victim);
  });

  it('Instant Link below the cap: the change on B kills the old link on A; the new link succeeds for the new number', async () => {
    const [mine, other] = [number(), number()];
    const session = await desktopSession(onA, mine, { endpoint: a.url });
    const via = alternating(session.client);
    await via().instantLinkStart();
    const myLink = await latestLink(a.url, mine, a.url);
    assertSent(await via().instantLinkStart(other), 'link', 'the change (instance B)');
    assertDeadLink(await openLink(myLink), 'the old link on A');
    await assertNoSuccessFor(onB, session.correlationId, other);
    assertRedirected(await openLink(await latestLink(a.url, other, b.url)), 'the new link on B');
    await assertSuccessFor(onA, session.correlationId, other);
  });
});
