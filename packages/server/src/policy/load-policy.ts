/**
 * @module load-policy
 * Reading a policy file: JSON parse (a syntax error names its line and column), TypeBox
 * validation (each error names the field path, e.g. `rules[2].action`), then the checks a schema
 * cannot express (unique rule ids, known signals, a value that fits the signal and operator).
 * JSON only: no YAML parser is a direct dependency of the server (docs/fraud-policy.md).
 */
import { readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { jsonErrorOffset } from './json-error-position.js';
import { PolicySchema, type Comparison, type Condition, type PolicyFile, type Rule } from './policy-schema.js';
import { SIGNALS, isSignalName, type SignalKind } from './signals.js';
import { ACTION_POINTS, SIGNAL_POINTS, pointsOf } from './points.js';

export type PolicyRead = { ok: true; policy: PolicyFile } | { ok: false; errors: string[] };

/** `/rules/0/when/op` → `rules[0].when.op`. */
export function fieldPath(pointer: string): string {
  if (pointer === '') return '(top level)';
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

/** Line and column of a JSON.parse position, for the syntax error message. */
function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const offset = jsonErrorOffset(text);
    const where = offset >= 0 ? ` at ${lineColumn(text, offset)}` : '';
    return { ok: false, error: `not valid JSON${where}: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** Schema errors, one line per field path (a union's alternatives are folded into one line). */
function schemaErrors(value: unknown): string[] {
  const byPath = new Map<string, string>();
  for (const e of Value.Errors(PolicySchema, value)) {
    if (e.keyword === 'boolean') continue; // the additionalProperties entry below says it better
    const params = e.params as { additionalProperties?: string[] };
    const path = fieldPath(e.instancePath);
    const message = params.additionalProperties ? `unknown field(s) ${params.additionalProperties.join(', ')}` : e.message;
    if (!byPath.has(path)) byPath.set(path, message);
  }
  return [...byPath].map(([path, message]) => `${path}: ${message}`);
}

function comparisons(when: Condition): { list: Comparison[]; key: string } {
  if ('all' in when) return { list: when.all, key: 'all' };
  if ('any' in when) return { list: when.any, key: 'any' };
  return { list: [when], key: '' };
}

/** What a schema cannot say: a comparison's signal exists and its value fits the operator. */
function comparisonErrors(c: Comparison, path: string): string[] {
  if (!isSignalName(c.signal)) return [`${path}.signal: unknown signal "${c.signal}" (known: ${Object.keys(SIGNALS).join(', ')})`];
  const kind = SIGNALS[c.signal] as SignalKind;
  const list = c.op === 'in' || c.op === 'not_in';
  if (list) return Array.isArray(c.value) ? [] : [`${path}.value: "${c.op}" needs a list of strings`];
  if (Array.isArray(c.value)) return [`${path}.value: a list needs "in" or "not_in"`];
  if (kind === 'number' && typeof c.value !== 'number') return [`${path}.value: ${c.signal} is a number`];
  if (kind === 'string' && typeof c.value !== 'string') return [`${path}.value: ${c.signal} is a string`];
  if (kind === 'string' && c.op !== '==' && c.op !== '!=') return [`${path}.op: ${c.signal} is a string: use ==, !=, in or not_in`];
  return [];
}

/** A rule's points fit its action and the signals it reads (policy/points.ts). */
function pointErrors(rule: Rule, i: number): string[] {
  const errors: string[] = [];
  const points = pointsOf(rule);
  const field = rule.at ? `rules[${i}].at` : `rules[${i}]`;
  const allowed = ACTION_POINTS[rule.action];
  for (const point of points) {
    if (allowed && !allowed.includes(point)) {
      errors.push(`${field}: ${rule.action} applies only at ${allowed.join(', ')}, not at ${point}${rule.at ? '' : ' (a rule without "at" applies at send)'}`);
    }
  }
  for (const c of comparisons(rule.when).list) {
    const only = isSignalName(c.signal) ? SIGNAL_POINTS[c.signal] : undefined;
    const outside = only ? points.filter((p) => !only.includes(p)) : [];
    if (outside.length) errors.push(`${field}: ${c.signal} is computed only at ${only!.join(', ')}, not at ${outside.join(', ')}`);
  }
  return errors;
}

/** A price table's countries are ISO 3166 codes; a cost signal needs a price table. */
function priceErrors(policy: PolicyFile): string[] {
  const errors = Object.keys(policy.prices?.countries ?? {})
    .filter((code) => !/^[A-Z]{2}$/.test(code))
    .map((code) => `prices.countries.${code}: not an ISO 3166 country code (two capital letters, e.g. GB)`);
  if (policy.prices) return errors;
  policy.rules.forEach((rule, i) => {
    const { list, key } = comparisons(rule.when);
    list.forEach((c, j) => {
      if (/^budget_.+_cost_used$/.test(c.signal)) errors.push(`${key ? `rules[${i}].when.${key}[${j}]` : `rules[${i}].when`}.signal: ${c.signal} needs a "prices" table in the policy file`);
    });
  });
  return errors;
}

/** Validates a parsed policy; errors name the field path. */
export function validatePolicy(value: unknown): PolicyRead {
  const errors = schemaErrors(value);
  if (errors.length) return { ok: false, errors };
  const policy = value as PolicyFile;
  const seen = new Set<string>();
  policy.rules.forEach((rule, i) => {
    if (seen.has(rule.id)) errors.push(`rules[${i}].id: duplicate rule id "${rule.id}"`);
    seen.add(rule.id);
    const { list, key } = comparisons(rule.when);
    list.forEach((c, j) => errors.push(...comparisonErrors(c, key ? `rules[${i}].when.${key}[${j}]` : `rules[${i}].when`)));
    errors.push(...pointErrors(rule, i));
  });
  errors.push(...priceErrors(policy));
  return errors.length ? { ok: false, errors } : { ok: true, policy };
}

/** Parses and validates policy text. */
export function readPolicyText(text: string): PolicyRead {
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, errors: [parsed.error] };
  return validatePolicy(parsed.value);
}

/** Reads, parses and validates a policy file. */
export function readPolicyFile(file: string): PolicyRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, errors: [`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`] };
  }
  return readPolicyText(text);
}
