/**
 * @module choose-provider
 * Which Mobile Auth carrier and SIM swap source the platform uses, from the environment:
 * with `HANDSET_OPERATORS`, Mobile Auth goes to the operator serving the session's number over
 * CAMARA Number Verification (decision CH3) and, with `HANDSET_SIM_SWAP_OPERATOR`, the SIM swap
 * signal is read from that operator (CH4); without it, the sandbox carrier as before.
 */
import { createHmac } from 'node:crypto';
import { NumberVerificationClient, operatorFor, parseOperatorSettings, SimSwapClient, type OperatorSettings } from './camara/index.js';
import { safeEqual } from '../lib/hash.js';

/** Operator Mobile Auth: one Number Verification client per configured operator. */
export class OperatorMobileAuth {
  readonly #settings: OperatorSettings;
  readonly #clients: Map<string, NumberVerificationClient>;
  readonly #vfpKey: string;

  /** `secret`: a platform secret shared by every instance (the state and vfp keys derive from it). */
  constructor(settings: OperatorSettings, secret: string, now?: () => number) {
    this.#settings = settings;
    const stateKey = createHmac('sha256', secret).update('handset operator state').digest('base64url');
    this.#vfpKey = createHmac('sha256', secret).update('handset operator vfp').digest('base64url');
    this.#clients = new Map(settings.operators.map((op) => [op.name, new NumberVerificationClient(op, { stateKey, ...(now ? { now } : {}) })]));
  }

  /** The client of the operator serving `phone` (no number: the first operator), or undefined. */
  clientFor(phone: string | null): NumberVerificationClient | undefined {
    const op = operatorFor(this.#settings.operators, phone);
    return op ? this.#clients.get(op.name) : undefined;
  }

  /**
   * The session id a state carries: the attempt's `mobile_auth_token` and a tag of the address
   * (client-address key) that started it. The callback must come from that address: otherwise an
   * attacker who starts a session for someone's number could have that person's phone load the
   * redirect URL (an <img> on any page) and the operator would vouch for the attacker's session.
   * A MAC, not the address itself, since the state travels in URLs and to the operator.
   */
  attemptId(token: string, address: string): string {
    return `${token}.${this.#addressTag(address)}`;
  }

  /**
   * The client and Mobile Auth token a callback's `state` names, once its MAC and expiry check,
   * and whether `address` (the callback's caller) is the one that started the attempt; or null.
   */
  attemptOf(state: string | null, address: string): { client: NumberVerificationClient; token: string; sameAddress: boolean } | null {
    if (state === null) return null;
    for (const client of this.#clients.values()) {
      const id = client.sessionOf(state);
      if (id === null) continue;
      const dot = id.lastIndexOf('.');
      if (dot === -1) return null;
      return { client, token: id.slice(0, dot), sameAddress: safeEqual(id.slice(dot + 1), this.#addressTag(address)) };
    }
    return null;
  }

  /**
   * The vfp the callback hands the browser once the operator vouched for `phone`: the number and
   * an HMAC over the attempt's token and the number, so instant/finish can trust it without a
   * row written at the callback. `op.` tells it apart from a sandbox carrier vfp.
   */
  vfpFor(token: string, phone: string): string {
    return `op.${Buffer.from(phone).toString('base64url')}.${this.#mac(token, phone)}`;
  }

  /** The number a vfp from {@link vfpFor} vouches for under `token`, or null. */
  vouched(token: string, vfp: string): string | null {
    const parts = vfp.split('.');
    if (parts.length !== 3 || parts[0] !== 'op') return null;
    const phone = Buffer.from(parts[1]!, 'base64url').toString('utf8');
    return /^\+[1-9][0-9]{4,14}$/.test(phone) && safeEqual(this.#mac(token, phone), parts[2]!) ? phone : null;
  }

  #addressTag(address: string): string {
    return createHmac('sha256', this.#vfpKey).update(`address\n${address}`).digest('base64url').slice(0, 22);
  }

  #mac(token: string, phone: string): string {
    return createHmac('sha256', this.#vfpKey).update(`${token}\n${phone}`).digest('base64url');
  }
}

/** Whether a vfp is an operator one (else the sandbox carrier's). */
export const isOperatorVfp = (vfp: string): boolean => vfp.startsWith('op.');

/** The SIM swap signal source: the configured operator's client and its window. */
export interface SimSwapSource {
  client: SimSwapClient;
  maxAgeHours: number;
}

/** What {@link operatorsFromEnv} wires. */
export interface OperatorWiring {
  /** Present when `HANDSET_OPERATORS` lists operators. */
  mobileAuth?: OperatorMobileAuth;
  /** Present when `HANDSET_SIM_SWAP_OPERATOR` names one of them. */
  simSwap?: SimSwapSource;
}

/**
 * Reads `HANDSET_OPERATORS` and the SIM swap variables.
 *
 * @throws ConfigError (the parser's message, naming the field, never a value) for a bad value.
 */
export function operatorsFromEnv(env: Readonly<Record<string, string | undefined>>, secret: string): OperatorWiring {
  const settings = parseOperatorSettings(env);
  if (settings.operators.length === 0) return {};
  const wiring: OperatorWiring = { mobileAuth: new OperatorMobileAuth(settings, secret) };
  const name = settings.simSwap.operator;
  const op = name === null ? undefined : settings.operators.find((o) => o.name === name);
  if (op) {
    wiring.simSwap = {
      client: new SimSwapClient(op, { maxAgeHours: settings.simSwap.maxAgeHours, timeoutMs: settings.simSwap.timeoutMs }),
      maxAgeHours: settings.simSwap.maxAgeHours,
    };
  }
  return wiring;
}
