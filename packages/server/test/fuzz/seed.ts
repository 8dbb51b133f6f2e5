/** The fuzz seed CI and `npm run fuzz` use unless told otherwise. */
export const FUZZ_SEED = 20260901;
