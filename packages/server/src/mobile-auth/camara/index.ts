/**
 * @module camara
 * Operator network APIs over CAMARA: configuration, the session-bound state, Number
 * Verification (operator Mobile Auth) and the SIM swap signal. Wired by mobile-auth/choose-provider.ts
 * (docs/channels.md, "Operator Mobile Auth (CAMARA)").
 */
export { parseOperatorSettings, operatorFor, secretVariable, DEFAULT_SCOPES, type OperatorConfig, type OperatorSettings, type TokenAuthMethod } from './operator-config.js';
export { createState, checkState, type StateCheck, type StateClaims, type StateRefusal } from './state.js';
export {
  NumberVerificationClient,
  type FallbackReason,
  type NumberVerificationOptions,
  type NumberVerificationResult,
  type StartResult,
} from './number-verification.js';
export { SimSwapClient, simSwapRiskReason, SIM_SWAP_REASON_CODE, type SimSwapOptions, type SimSwapSignal, type SimSwapUnavailable } from './sim-swap.js';
