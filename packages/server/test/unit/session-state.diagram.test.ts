/**
 * The state machine and its diagram are one contract: every edge of the mermaid diagram in
 * docs/session-state-machine.md must be a decision `decide()` can make, and every decision
 * `decide()` makes, over every state × event × session facts, must be an edge of the diagram.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { INSTANT_LINK_MAX_RESENDS, OTP_MAX_RESENDS } from '@handset/protocol';
import { decide, type SessionEvent, type SessionEventType, type SessionFacts } from '../../src/flows/session-state.js';
import { SESSION_STATES, type DeviceMatch, type PossessionType } from '../../src/flows/session-types.js';

const DIAGRAM = new URL('../../../../docs/session-state-machine.md', import.meta.url);
const A = '+12025550100';
const B = '+12025550199';

/** `from --> to: event (guard)` lines of the mermaid block, as "from --event--> to". */
function diagramEdges(): Set<string> {
  const text = readFileSync(DIAGRAM, 'utf8');
  const block = /```mermaid\n([\s\S]*?)```/.exec(text)?.[1];
  assert.ok(block, 'the doc has a mermaid block');
  const edges = new Set<string>();
  for (const line of block.split('\n')) {
    const edge = /^\s*(\w+) --> (\w+): (\w+)/.exec(line);
    if (edge) edges.add(`${edge[1]} --${edge[3]}--> ${edge[2]}`);
  }
  return edges;
}

const EVENT_TYPES: SessionEventType[] = [
  'short_term_user', 'device_checked', 'mobile_auth_started', 'mobile_auth_failed', 'mobile_auth_passed', 'otp_sent',
  'otp_checked', 'link_sent', 'link_opened', 'client_failed', 'bound', 'expired', 'message_failed', 'policy_failed',
];
const MATCHES: DeviceMatch[] = ['new', 'match', 'mismatch', 'none'];

/** Every variant of every event the machine distinguishes. */
function eventVariants(): SessionEvent[] {
  const events: SessionEvent[] = [
    { type: 'short_term_user' },
    { type: 'mobile_auth_started' },
    { type: 'mobile_auth_failed' },
    { type: 'link_opened' },
    { type: 'client_failed' },
    { type: 'expired' },
    { type: 'bound', phone: A },
    { type: 'bound', phone: B },
    { type: 'message_failed', to: A },
    { type: 'message_failed', to: B },
    { type: 'policy_failed', reason: '9803' },
  ];
  for (const match of MATCHES) {
    events.push({ type: 'device_checked', match }, { type: 'device_checked', match, keyNumber: A }, { type: 'device_checked', match, keyNumber: B });
    for (const phone of [A, B]) events.push({ type: 'mobile_auth_passed', phone, match });
  }
  for (const result of ['correct', 'wrong', 'expired'] as const) events.push({ type: 'otp_checked', result });
  for (const to of [A, B]) {
    for (const match of [null, ...MATCHES]) {
      events.push({ type: 'otp_sent', to, match }, { type: 'link_sent', to, match });
    }
  }
  const covered = new Set(events.map((e) => e.type));
  assert.deepEqual([...covered].sort(), [...EVENT_TYPES].sort(), 'every event type has variants');
  return events;
}

/** Every combination of the facts the machine reads, reachable or not. */
function* factVariants(): Generator<SessionFacts> {
  for (const state of SESSION_STATES)
    for (const possession_type of ['mobile', 'desktop', 'none'] as PossessionType[])
      for (const device_match of [null, ...MATCHES])
        for (const rebind of [0, 1])
          for (const phone_e164 of [A, null])
            for (const proof_to of [null, A, B])
              for (const atCap of [false, true])
                for (const allow_otp_retry of [0, 1])
                  for (const lastTry of [false, true])
                    yield {
                      state, possession_type, device_match, rebind, phone_e164, proof_to, allow_otp_retry,
                      otp_resends: atCap ? OTP_MAX_RESENDS : 0,
                      link_resends: atCap ? INSTANT_LINK_MAX_RESENDS : 0,
                      otp_attempts: lastTry ? (allow_otp_retry ? 3 : 0) : 0,
                    };
}

describe('the state machine matches its diagram (docs/session-state-machine.md)', () => {
  it('every state × event × facts decision is a diagram edge, and every edge is decided somewhere', () => {
    const diagram = diagramEdges();
    assert.ok(diagram.size > 20, `the diagram parsed (${diagram.size} edges)`);
    const decided = new Set<string>();
    const events = eventVariants();
    let cases = 0;
    for (const facts of factVariants()) {
      for (const event of events) {
        cases += 1;
        const decision = decide(facts, event);
        if (!decision.ok) continue;
        const edge = `${facts.state} --${event.type}--> ${decision.state}`;
        assert.ok(diagram.has(edge), `decide() makes ${edge}, which the diagram lacks (${JSON.stringify(facts)}, ${JSON.stringify(event)})`);
        decided.add(edge);
      }
    }
    const undecided = [...diagram].filter((edge) => !decided.has(edge));
    assert.deepEqual(undecided, [], 'every diagram edge is a decision the code makes');
    assert.ok(cases > 100_000, `${cases} cases`);
  });

  it('every state and every event type appears in the diagram', () => {
    const text = [...diagramEdges()].join('\n');
    for (const state of SESSION_STATES) assert.ok(text.includes(state), state);
    for (const type of EVENT_TYPES) assert.ok(text.includes(`--${type}-->`), type);
  });
});
