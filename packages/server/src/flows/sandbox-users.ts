/**
 * @module sandbox-users
 * The sandbox test users of `server-api.md` §11.2 and what each group does.
 */

export type SandboxGroup = 'short_term' | 'unified_auth' | 'mobile_auth';

/** E.164 number → group. US numbers are stored with +1, as the platform normalises them. */
export const SANDBOX_USERS: ReadonlyMap<string, { name: string; group: SandboxGroup }> = new Map([
  ['+12001004018', { name: 'Barbaraanne Canet', group: 'short_term' }],
  ['+2001004029', { name: 'Janos Martina', group: 'short_term' }],
  ['+12001004014', { name: 'Lorant Nerger', group: 'unified_auth' }],
  ['+12001004015', { name: 'Laney Dyball', group: 'unified_auth' }],
  ['+2001004025', { name: 'Bertie Fremont', group: 'unified_auth' }],
  ['+2001004026', { name: 'Bonnie Sidon', group: 'unified_auth' }],
  ['+12001004016', { name: 'Inge Galier', group: 'mobile_auth' }],
  ['+12001004017', { name: 'Jesse Mashro', group: 'mobile_auth' }],
  ['+12001004041', { name: 'Penny Jowers', group: 'mobile_auth' }],
  ['+2001004027', { name: 'Allissa Zoren', group: 'mobile_auth' }],
  ['+2001004028', { name: 'Wendy Strover', group: 'mobile_auth' }],
  ['+2001004043', { name: 'Amii Porritt', group: 'mobile_auth' }],
] as const);

/** The one-time code that passes in sandbox mode. */
export const SANDBOX_OTP = '1234';

/** Numbers whose Mobile Auth succeeds in sandbox mode: Unified Auth and Mobile Auth users. */
export function sandboxMobileAuthNumbers(): string[] {
  return [...SANDBOX_USERS].filter(([, u]) => u.group !== 'short_term').map(([phone]) => phone);
}
