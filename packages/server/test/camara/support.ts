/**
 * @module test/camara/support
 * The CAMARA client tests' set-up: an operator simulator, the operator entry that points at it,
 * and the browser's leg of the code flow done with fetch (the operator's redirect read, not followed).
 */
import { startOperatorSimulator, type OperatorSimulator, type SimulatorOptions } from '@handset/operator-sim';
import { parseOperatorSettings, type OperatorConfig } from '../../src/mobile-auth/camara/operator-config.js';

export const CLIENT_ID = 'handset-test';
export const CLIENT_SECRET = 'camara-client-secret-8Hk2';
export const STATE_KEY = 'state-key-for-tests-0123456789abcdef';
export const LINE = '+12025550154';
export const SESSION = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** A simulator with the test client registered for `redirectUri`. */
export async function operator(redirectUri: string, extra: Partial<SimulatorOptions> = {}): Promise<OperatorSimulator> {
  return startOperatorSimulator({
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [redirectUri] }],
    lines: { default: LINE },
    ...extra,
  });
}

/** The operator entry for `sim`, parsed as production parses it. */
export function entryFor(sim: OperatorSimulator, redirectUri: string, overrides: Record<string, unknown> = {}): OperatorConfig {
  const entry = { name: 'sim', issuer: sim.url, apiRoot: sim.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri, ...overrides };
  return parseOperatorSettings({ HANDSET_OPERATORS: JSON.stringify([entry]) }).operators[0]!;
}

/** What the browser brings back to the callback after following `url`, on `line` (`none`: an unknown line). */
export async function browserLeg(url: string, line?: string): Promise<URLSearchParams> {
  const res = await fetch(url, { redirect: 'manual', headers: line === undefined ? {} : { 'x-operator-sim-line': line } });
  if (res.status !== 302) throw new Error(`the operator answered ${res.status}`);
  return new URL(res.headers.get('location')!).searchParams;
}
