/**
 * @module operator-config
 * Operator (or aggregator) entries for CAMARA Number Verification and SIM Swap, and the SIM swap
 * window, parsed from the environment by a pure function. Errors name the field, never a value
 * (an entry holds a client secret).
 *
 * `HANDSET_OPERATORS` is a JSON array, one object per operator or aggregator:
 *
 * ```json
 * [{ "name": "op1",
 *    "issuer": "https://id.op1.example",          // discovery at {issuer}/.well-known/openid-configuration
 *    "apiRoot": "https://api.op1.example",         // CAMARA APIs under {apiRoot}/number-verification/v2, /sim-swap/v2
 *    "clientId": "…", "clientSecret": "…",         // or HANDSET_OPERATOR_OP1_CLIENT_SECRET
 *    "redirectUri": "https://handset.example/v1/operator/callback" }]
 * ```
 *
 * Optional per entry: `authorizationEndpoint` + `tokenEndpoint` (instead of `issuer`),
 * `authMethod` (`client_secret_basic`, default, or `client_secret_post`), `scopes`
 * (`verify`, `devicePhoneNumber`, `simSwap`), `verifyWith` (`phoneNumber`, default, or
 * `hashedPhoneNumber`), `timeoutMs` (default 5000), `prefixes` (E.164 prefixes it serves, e.g. `["+1"]`).
 */
import { ConfigError } from '../../config.js';

/** How the client authenticates at the token endpoint (channels.md §4). */
export type TokenAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** One operator or aggregator. */
export interface OperatorConfig {
  /** Lowercase name, unique: `[a-z0-9-]{1,32}`; carried in the state to find the operator on return. */
  name: string;
  /** The OIDC issuer whose discovery document names the endpoints; null when both are explicit. */
  issuer: string | null;
  authorizationEndpoint: string | null;
  tokenEndpoint: string | null;
  /** Root of the CAMARA APIs. */
  apiRoot: string;
  clientId: string;
  clientSecret: string;
  authMethod: TokenAuthMethod;
  /** Handset's callback URL registered with the operator. */
  redirectUri: string;
  scopes: { verify: string; devicePhoneNumber: string; simSwap: string };
  verifyWith: 'phoneNumber' | 'hashedPhoneNumber';
  /** Bound on each Number Verification step (authorization URL, code exchange + API call). */
  timeoutMs: number;
  /** E.164 prefixes this operator serves; empty: any number. */
  prefixes: string[];
}

/** What the environment says about operators and the SIM swap signal. */
export interface OperatorSettings {
  operators: OperatorConfig[];
  simSwap: {
    /** `HANDSET_SIM_SWAP_MAX_AGE_HOURS`: a swap this recent is a risk reason (1–2400, default 24). */
    maxAgeHours: number;
    /** `HANDSET_SIM_SWAP_TIMEOUT_MS`: the whole check's bound; past it the signal is `unavailable` (default 1500). */
    timeoutMs: number;
    /** `HANDSET_SIM_SWAP_OPERATOR`: which entry answers SIM Swap; default: the first one serving the number. */
    operator: string | null;
  };
}

export const DEFAULT_SCOPES: Readonly<OperatorConfig['scopes']> = Object.freeze({
  verify: 'openid number-verification:verify',
  devicePhoneNumber: 'openid number-verification:device-phone-number:read',
  simSwap: 'sim-swap:check sim-swap:retrieve-date',
});

const KNOWN_FIELDS = new Set([
  'name', 'issuer', 'authorizationEndpoint', 'tokenEndpoint', 'apiRoot', 'clientId', 'clientSecret', 'authMethod',
  'redirectUri', 'scopes', 'verifyWith', 'timeoutMs', 'prefixes',
]);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * An https URL, or http on a loopback host (the simulator): credentials and numbers never travel
 * in clear to another machine.
 */
function url(where: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${where}: required (a URL)`);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${where}: not a URL`);
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname))) {
    throw new ConfigError(`${where}: must be https (http only on 127.0.0.1, localhost or [::1])`);
  }
  if (parsed.username || parsed.password) throw new ConfigError(`${where}: must not carry credentials`);
  if (parsed.hash) throw new ConfigError(`${where}: must not have a fragment`);
  return value;
}

function text(where: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${where}: required (a non-empty string)`);
  return value;
}

function integer(where: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${where}: must be an integer from ${min} to ${max}`);
  return n;
}

function scopeList(where: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(value)) {
    throw new ConfigError(`${where}: must be space-separated scope tokens`);
  }
  return value;
}

/** The environment variable a secret may come from when the entry leaves it out. */
export function secretVariable(name: string): string {
  return `HANDSET_OPERATOR_${name.toUpperCase().replace(/-/g, '_')}_CLIENT_SECRET`;
}

function operator(entry: unknown, index: number, env: Readonly<Record<string, string | undefined>>): OperatorConfig {
  const at = `HANDSET_OPERATORS[${index}]`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ConfigError(`${at}: must be an object`);
  const e = entry as Record<string, unknown>;
  for (const key of Object.keys(e)) if (!KNOWN_FIELDS.has(key)) throw new ConfigError(`${at}.${key}: unknown field`);
  const name = text(`${at}.name`, e.name);
  if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new ConfigError(`${at}.name: must be 1-32 of a-z, 0-9 and -`);
  const explicit = e.authorizationEndpoint !== undefined || e.tokenEndpoint !== undefined;
  if (e.issuer === undefined && !explicit) throw new ConfigError(`${at}.issuer: required (or both authorizationEndpoint and tokenEndpoint)`);
  const issuer = e.issuer === undefined ? null : url(`${at}.issuer`, e.issuer);
  const authorizationEndpoint = explicit ? url(`${at}.authorizationEndpoint`, e.authorizationEndpoint) : null;
  const tokenEndpoint = explicit ? url(`${at}.tokenEndpoint`, e.tokenEndpoint) : null;
  const secret = e.clientSecret ?? env[secretVariable(name)];
  if (secret === undefined || secret === '') throw new ConfigError(`${at}.clientSecret: required (or ${secretVariable(name)})`);
  const authMethod = e.authMethod ?? 'client_secret_basic';
  if (authMethod !== 'client_secret_basic' && authMethod !== 'client_secret_post') {
    throw new ConfigError(`${at}.authMethod: must be client_secret_basic or client_secret_post`);
  }
  const verifyWith = e.verifyWith ?? 'phoneNumber';
  if (verifyWith !== 'phoneNumber' && verifyWith !== 'hashedPhoneNumber') throw new ConfigError(`${at}.verifyWith: must be phoneNumber or hashedPhoneNumber`);
  const scopes = e.scopes ?? {};
  if (scopes === null || typeof scopes !== 'object' || Array.isArray(scopes)) throw new ConfigError(`${at}.scopes: must be an object`);
  const s = scopes as Record<string, unknown>;
  for (const key of Object.keys(s)) if (!(key in DEFAULT_SCOPES)) throw new ConfigError(`${at}.scopes.${key}: unknown field`);
  const prefixes = e.prefixes ?? [];
  if (!Array.isArray(prefixes) || prefixes.some((p) => typeof p !== 'string' || !/^\+[1-9][0-9]{0,14}$/.test(p))) {
    throw new ConfigError(`${at}.prefixes: must be a list of E.164 prefixes such as "+1"`);
  }
  return {
    name,
    issuer,
    authorizationEndpoint,
    tokenEndpoint,
    apiRoot: url(`${at}.apiRoot`, e.apiRoot).replace(/\/+$/, ''),
    clientId: text(`${at}.clientId`, e.clientId),
    clientSecret: text(`${at}.clientSecret`, secret),
    authMethod,
    redirectUri: url(`${at}.redirectUri`, e.redirectUri),
    scopes: {
      verify: scopeList(`${at}.scopes.verify`, s.verify, DEFAULT_SCOPES.verify),
      devicePhoneNumber: scopeList(`${at}.scopes.devicePhoneNumber`, s.devicePhoneNumber, DEFAULT_SCOPES.devicePhoneNumber),
      simSwap: scopeList(`${at}.scopes.simSwap`, s.simSwap, DEFAULT_SCOPES.simSwap),
    },
    verifyWith,
    timeoutMs: integer(`${at}.timeoutMs`, e.timeoutMs, 5000, 100, 60_000),
    prefixes: prefixes as string[],
  };
}

/**
 * Reads `HANDSET_OPERATORS`, `HANDSET_OPERATOR_<NAME>_CLIENT_SECRET`,
 * `HANDSET_SIM_SWAP_MAX_AGE_HOURS`, `HANDSET_SIM_SWAP_TIMEOUT_MS` and `HANDSET_SIM_SWAP_OPERATOR`.
 * Unset `HANDSET_OPERATORS`: no operator (Mobile Auth stays on the sandbox carrier, no SIM swap signal).
 *
 * @throws ConfigError naming the variable or field at fault (never its value).
 */
export function parseOperatorSettings(env: Readonly<Record<string, string | undefined>>): OperatorSettings {
  const raw = env.HANDSET_OPERATORS?.trim() ?? '';
  let list: unknown = [];
  if (raw !== '') {
    try {
      list = JSON.parse(raw);
    } catch {
      // Not the parser's message: it quotes the text, which holds secrets.
      throw new ConfigError('HANDSET_OPERATORS: not valid JSON (expected an array of operator objects)');
    }
  }
  if (!Array.isArray(list)) throw new ConfigError('HANDSET_OPERATORS: must be a JSON array of operator objects');
  const operators = list.map((entry, i) => operator(entry, i, env));
  const names = new Set<string>();
  for (const [i, op] of operators.entries()) {
    if (names.has(op.name)) throw new ConfigError(`HANDSET_OPERATORS[${i}].name: "${op.name}" is used twice`);
    names.add(op.name);
  }
  const simSwapOperator = env.HANDSET_SIM_SWAP_OPERATOR?.trim() || null;
  if (simSwapOperator !== null && !names.has(simSwapOperator)) {
    throw new ConfigError(`HANDSET_SIM_SWAP_OPERATOR: "${simSwapOperator}" is not a name in HANDSET_OPERATORS`);
  }
  return {
    operators,
    simSwap: {
      maxAgeHours: integer('HANDSET_SIM_SWAP_MAX_AGE_HOURS', env.HANDSET_SIM_SWAP_MAX_AGE_HOURS?.trim(), 24, 1, 2400),
      timeoutMs: integer('HANDSET_SIM_SWAP_TIMEOUT_MS', env.HANDSET_SIM_SWAP_TIMEOUT_MS?.trim(), 1500, 50, 30_000),
      operator: simSwapOperator,
    },
  };
}

/** The first operator serving `phone` (by prefix; an entry without prefixes serves any number), or undefined. */
export function operatorFor(operators: readonly OperatorConfig[], phone: string | null): OperatorConfig | undefined {
  if (phone === null) return operators[0];
  return operators.find((op) => op.prefixes.length === 0 || op.prefixes.some((p) => phone.startsWith(p)));
}
