/**
 * @module numbers
 * Phone numbers for tests that send many texts from one test server: each number in a range of
 * its own (the number without its last four digits), so the default fraud policy's caps — 50
 * texts an hour to one range, 10 to one number (docs/fraud-policy.md "Default policy") — never
 * refuse a test's ordinary traffic. Test servers run the default policy on purpose
 * (docs/decisions.md E3): spread the numbers, do not switch the policy off.
 */

/**
 * Ranges `+1 NPA NXX` with NPA 202–899 (never 900: premium rate) and NXX 200–999 except 976: a 976
 * exchange is premium rate in several NANP countries (+1 246 976 …, Barbados, was the 37,576th
 * number of a `bench:flows` run), and the default policy rightly refuses to text it. No other
 * number of the first 560,000 ranges is premium rate or shared cost to libphonenumber.
 */
const NXX_PER_NPA = 799;
const RANGES = 698 * NXX_PER_NPA;

/**
 * The `sequence`-th number: `+1 NPA NXX` from the sequence, so consecutive sequences are in
 * different ranges; the last four digits are the sequence's own (`…0007` for 7), easy to read in
 * a failure. Distinct until both parts repeat at once: after 2.7 billion sequences.
 */
export function spreadNumber(sequence: number): string {
  const range = sequence % RANGES;
  const npa = 202 + Math.floor(range / NXX_PER_NPA);
  const index = range % NXX_PER_NPA;
  const nxx = 200 + index + (200 + index >= 976 ? 1 : 0);
  return `+1${npa}${nxx}${String(sequence % 10_000).padStart(4, '0')}`;
}

/** A source of fresh numbers, each in its own range, starting at `first`. */
export function numberSource(first = 0): () => string {
  let next = first;
  return () => spreadNumber(next++);
}
