/**
 * @module policy-schema
 * The fraud policy file's shape (docs/fraud-policy.md): a list of rules, each a condition over
 * signals, an action and a reason code, optionally in shadow mode. Validated with TypeBox; the
 * condition language is deliberately small: a comparison, or `all` / `any` of comparisons.
 */
import Type, { type Static } from 'typebox';

/** What a rule does when its condition holds. */
export const ACTIONS = ['allow', 'flag', 'deny_send', 'require_otp', 'fail'] as const;
export type PolicyAction = (typeof ACTIONS)[number];

/** Comparison operators of a condition. */
export const OPS = ['==', '!=', '<', '<=', '>', '>=', 'in', 'not_in'] as const;
export type Op = (typeof OPS)[number];

/** Where the policy is evaluated (docs/fraud-policy.md "Evaluation points"). */
export const POLICY_POINTS = ['send', 'mobile_auth', 'verify'] as const;
export type PolicyPoint = (typeof POLICY_POINTS)[number];

export const ComparisonSchema = Type.Object(
  {
    signal: Type.String({ minLength: 1 }),
    op: Type.Union([Type.Literal('=='), Type.Literal('!='), Type.Literal('<'), Type.Literal('<='), Type.Literal('>'), Type.Literal('>='), Type.Literal('in'), Type.Literal('not_in')]),
    value: Type.Union([Type.Number(), Type.String(), Type.Array(Type.String(), { minItems: 1 })]),
  },
  { additionalProperties: false },
);
export type Comparison = Static<typeof ComparisonSchema>;

export const ConditionSchema = Type.Union([
  ComparisonSchema,
  Type.Object({ all: Type.Array(ComparisonSchema, { minItems: 1 }) }, { additionalProperties: false }),
  Type.Object({ any: Type.Array(ComparisonSchema, { minItems: 1 }) }, { additionalProperties: false }),
]);
export type Condition = Static<typeof ConditionSchema>;

export const RuleSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' }),
    description: Type.Optional(Type.String()),
    when: ConditionSchema,
    action: Type.Union([Type.Literal('allow'), Type.Literal('flag'), Type.Literal('deny_send'), Type.Literal('require_otp'), Type.Literal('fail')]),
    /** A Global Fraud Policy reason code: Prove's where one exists, Handset's own 9800-9899. */
    reason: Type.Integer({ minimum: 9000, maximum: 9999 }),
    shadow: Type.Optional(Type.Boolean()),
    /** The evaluation points the rule applies at; default `["send"]` (policy/points.ts). */
    at: Type.Optional(
      Type.Array(Type.Union([Type.Literal('send'), Type.Literal('mobile_auth'), Type.Literal('verify')]), { minItems: 1, uniqueItems: true }),
    ),
  },
  { additionalProperties: false },
);
export type Rule = Static<typeof RuleSchema>;

/**
 * Estimated price of one text, in one currency, for the budget's cost signals: per destination
 * country (ISO 3166 code) and a default for every other country (docs/fraud-policy.md).
 */
export const PricesSchema = Type.Object(
  {
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    default: Type.Number({ minimum: 0, maximum: 100 }),
    countries: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0, maximum: 100 }))),
  },
  { additionalProperties: false },
);
export type Prices = Static<typeof PricesSchema>;

export const PolicySchema = Type.Object(
  {
    version: Type.Literal(1),
    prices: Type.Optional(PricesSchema),
    rules: Type.Array(RuleSchema),
  },
  { additionalProperties: false },
);
export type PolicyFile = Static<typeof PolicySchema>;
