/**
 * @module policy-holder
 * The policy this instance enforces: the file named by `HANDSET_POLICY_FILE`, else the default
 * policy. A file that does not pass validation refuses the start (ConfigError naming the
 * fields); a reload (SIGHUP) that does not pass keeps the old policy and logs why.
 */
import { ConfigError } from '../config.js';
import type { Logger } from 'pino';
import { DEFAULT_POLICY } from './default-policy.js';
import { signalsUsed } from './engine.js';
import { readPolicyFile, validatePolicy } from './load-policy.js';
import type { PolicyFile } from './policy-schema.js';
import type { SignalName } from './signals.js';
import { rulesByPoint, type PolicyPoint } from './points.js';

export interface LoadedPolicy {
  policy: PolicyFile;
  /** Where it came from: a file path, or `default`. */
  source: string;
  /** The signals its rules read (computed once per load). */
  signals: Set<SignalName>;
  /** Per evaluation point: the rules that apply there and the signals they read (computed once per load). */
  at: Record<PolicyPoint, PointRules>;
}

export interface PointRules {
  policy: PolicyFile;
  signals: Set<SignalName>;
}

export class PolicyHolder {
  #current: LoadedPolicy;
  private readonly file: string | undefined;

  constructor(file: string | undefined, initial: LoadedPolicy) {
    this.file = file;
    this.#current = initial;
  }

  get current(): LoadedPolicy {
    return this.#current;
  }

  /** Reads the file again; on errors the old policy stays and the errors are logged. */
  reload(log: Logger): boolean {
    if (!this.file) {
      log.info('policy reload: no HANDSET_POLICY_FILE, the default policy stays');
      return true;
    }
    const read = readPolicyFile(this.file);
    if (!read.ok) {
      log.error({ file: this.file, errors: read.errors }, 'policy reload refused: the file is not valid; the previous policy stays');
      return false;
    }
    this.#current = loaded(read.policy, this.file);
    log.info({ file: this.file, rules: read.policy.rules.length }, 'policy reloaded');
    return true;
  }
}

function loaded(policy: PolicyFile, source: string): LoadedPolicy {
  const at = {} as Record<PolicyPoint, PointRules>;
  for (const [point, rules] of Object.entries(rulesByPoint(policy)) as Array<[PolicyPoint, PolicyFile]>) at[point] = { policy: rules, signals: signalsUsed(rules) };
  return { policy, source, signals: signalsUsed(policy), at };
}

/** The policy named by `HANDSET_POLICY_FILE` (or the default one); throws ConfigError when invalid. */
export function policyFromEnv(env: Readonly<Record<string, string | undefined>>): PolicyHolder {
  const file = env['HANDSET_POLICY_FILE'] || undefined;
  if (!file) {
    const read = validatePolicy(DEFAULT_POLICY);
    if (!read.ok) throw new ConfigError(`the default policy is invalid: ${read.errors.join('; ')}`);
    return new PolicyHolder(undefined, loaded(read.policy, 'default'));
  }
  const read = readPolicyFile(file);
  if (!read.ok) throw new ConfigError(`HANDSET_POLICY_FILE ${file}: ${read.errors.join('; ')}`);
  return new PolicyHolder(file, loaded(read.policy, file));
}
