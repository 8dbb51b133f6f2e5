/**
 * @module auth-token
 * Reads the `auth.id` claim of an authToken. The back end keys its flows by it because the browser
 * SDK hands exactly that id to the finish step (`verify(input.authId)`), on the desktop and on the
 * phone that opened an Instant Link alike. The token comes straight from Handset over an
 * authenticated call, so its signature is not checked here.
 */

/** The `auth.id` of an authToken, or null when the token does not carry one. */
export function authIdOf(authToken: string): string | null {
  const payload = authToken.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { auth?: { id?: unknown } };
    return typeof claims.auth?.id === 'string' && claims.auth.id !== '' ? claims.auth.id : null;
  } catch {
    return null;
  }
}
