/**
 * @module numbers
 * Phone numbers for tests that send many texts from one test server: each number in a range of
 * its own (the number without its last four digits), so the default fraud policy's caps — 50
 * texts an hour to one range, 10 to one number (docs/fraud-policy.md "Default policy") — never
 * refuse a test's ordinary traffic. Test servers run the default policy on purpose
 * (docs/decisions.md E3): spread the numbers, do not switch the policy off.
 */

/** Ranges `+1 NPA NXX` with NPA 202–899 (never 900: premium rate) and NXX 200–999. */
const RANGES = 698 * 800;

/**
 * The `sequence`-th number: `+1 NPA NXX` from the sequence, so consecutive sequences are in
 * different ranges; the last four digits are the sequence's own (`…0007` for 7), easy to read in
 * a failure. Distinct for the first 13 million sequences (where both repeat at once).
 */
export function spreadNumber(sequence: number): string {
  const range = sequence % RANGES;
  const npa = 202 + Math.floor(range / 800);
  const nxx = 200 + (range % 800);
  return `+1${npa}${nxx}${String(sequence % 10_000).padStart(4, '0')}`;
}

/** A source of fresh numbers, each in its own range, starting at `first`. */
export function numberSource(first = 0): () => string {
  let next = first;
  return () => spreadNumber(next++);
}
