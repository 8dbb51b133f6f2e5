/**
 * @module steps/mobile-instant
 * `mobile/instant` (`client-protocol.md` §6): start → run Mobile Auth on `data.redirectUrl` →
 * finish with the vfp. A Mobile Auth failure becomes AuthError 10002 (reportable), so the SDK
 * reports it to `mobile/instant/error` and the server's `next` (typically `mobile/otp`) follows.
 */
import { ClientErrorCode, ClientPath } from '@handset/protocol/browser';
import { AuthError } from '../errors.js';
import { MobileAuthError, runMobileAuth } from '../mobile-auth.js';
import type { FlowContext } from '../session.js';
import { callServer, serverFailure } from '../transport.js';

/** Runs Mobile Auth and resolves with the server's `next`. */
export async function mobileInstantStep(ctx: FlowContext): Promise<unknown> {
  const { session, config } = ctx;
  const start = await callServer(session, ClientPath.MOBILE_INSTANT_START, {
    cellularIp: config.deviceIpAddress,
    implementation: config.mobileAuthImplementation,
  });
  if (start.error) throw serverFailure(start);
  const redirectUrl = (start.data as { redirectUrl?: unknown } | undefined)?.redirectUrl;
  if (typeof redirectUrl !== 'string' || redirectUrl === '') {
    throw new AuthError('Mobile Auth start response has no redirectUrl', { reportable: true });
  }
  let vfp: string;
  try {
    vfp = await runMobileAuth(redirectUrl, config.mobileAuthImplementation, session.signal);
  } catch (error) {
    if (!(error instanceof MobileAuthError)) throw error;
    throw new AuthError(`${error.message} (stepCode=AUTHENTICATION, errorCode=${error.errorName})`, {
      code: ClientErrorCode.AUTHENTICATION_CLIENT_FAILURE,
      reportable: true,
    });
  }
  const finish = await callServer(session, ClientPath.MOBILE_INSTANT_FINISH, { vfp });
  if (finish.error) throw serverFailure(finish);
  return finish.next;
}
