/**
 * @module mobile-auth
 * The Mobile Auth client (`client-protocol.md` §6): takes the `redirectUrl` from
 * `mobile/instant/start` and produces the `vfp`. Implemented: `testVfp` (no network), fetch flow v1
 * (a CORS GET with `r=f` and `sdkVersion`, vfp from the JSON reply) and the pixel flow. The
 * carrier-specific fetch flows v2 (`pfflow=2`) and v3 (`pfflow=3`, flow-control URLs) are not
 * implemented: they fail with GENERIC_INVALID_STATE, which the SDK reports so the server falls back.
 */
import { MOBILE_AUTH_SDK_VERSION } from '@handset/protocol/browser';

/** mobile-auth error codes whose names appear inside 10002 messages (§7). */
export const MobileAuthErrorCode = {
  GENERIC_UNKNOWN_REASON: 0,
  GENERIC_TIMEOUT: 1,
  GENERIC_INVALID_STATE: 2,
  GENERIC_COMMUNICATION_ERROR: 3,
  AUTH_MALFORMED_INPUT_DATA: 65,
  AUTH_BAD_CREDENTIALS: 66,
  AUTH_VFP_KEY_EXPIRED: 67,
  AUTH_INVALID_RESPONSE: 68,
} as const;

/** A Mobile Auth failure; `errorName` is one of {@link MobileAuthErrorCode}'s keys. */
export class MobileAuthError extends Error {
  readonly errorName: keyof typeof MobileAuthErrorCode;

  constructor(errorName: keyof typeof MobileAuthErrorCode, message: string) {
    super(message);
    this.name = 'MobileAuthError';
    this.errorName = errorName;
  }
}

function str(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The vfp in a fetch-flow reply, by the documented precedence: `vfp`, `correlation_id...token`,
 * `token`, `correlation_id...reconcilation_token`, `reconcilation_token`.
 */
export function extractVfp(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const correlation = str(record, 'correlation_id');
  const token = str(record, 'token');
  const reconciliation = str(record, 'reconcilation_token');
  return (
    str(record, 'vfp') ??
    (correlation && token ? `${correlation}...${token}` : undefined) ??
    token ??
    (correlation && reconciliation ? `${correlation}...${reconciliation}` : undefined) ??
    reconciliation
  );
}

/** True when the page may call `url`: https always; http only from a page served over http. */
export function isAllowedCarrierUrl(url: URL, pageProtocol: string | undefined): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && pageProtocol === 'http:');
}

function abortError(): Error {
  return new DOMException('Aborted', 'AbortError');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function fetchFlow(url: URL, signal?: AbortSignal): Promise<string> {
  url.searchParams.set('r', 'f');
  let response: Response;
  try {
    response = await fetch(url.href, { mode: 'cors', signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new MobileAuthError('GENERIC_COMMUNICATION_ERROR', `Web SDK cannot make http request [${url.origin}]`);
  }
  if (response.status === 404) throw new MobileAuthError('AUTH_BAD_CREDENTIALS', 'Mobile Auth was refused (HTTP 404)');
  if (response.status === 410) throw new MobileAuthError('AUTH_VFP_KEY_EXPIRED', 'Mobile Auth session expired (HTTP 410)');
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const message = (body as { error?: unknown } | undefined)?.error;
    throw new MobileAuthError('AUTH_INVALID_RESPONSE', typeof message === 'string' ? message : `HTTP ${response.status}`);
  }
  const vfp = extractVfp(body);
  if (vfp === undefined) throw new MobileAuthError('AUTH_INVALID_RESPONSE', 'Received unknown payload');
  return vfp;
}

function pixelFlow(url: URL, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    const release = (): void => {
      image.onload = image.onerror = null;
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      release();
      image.src = '';
      reject(abortError());
    };
    image.onload = () => {
      release();
      resolve('');
    };
    image.onerror = () => {
      release();
      reject(new MobileAuthError('GENERIC_COMMUNICATION_ERROR', `Mobile Auth pixel failed to load [${url.origin}]`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    image.src = url.href;
  });
}

/** Runs the AUTHENTICATION sub-step on `redirectUrl` and resolves with the vfp. */
export async function runMobileAuth(
  redirectUrl: string,
  implementation: 'fetch' | 'pixel',
  signal?: AbortSignal,
): Promise<string> {
  let url: URL;
  try {
    url = new URL(redirectUrl);
  } catch {
    throw new MobileAuthError('AUTH_MALFORMED_INPUT_DATA', 'redirectUrl is not an absolute URL');
  }
  const testVfp = url.searchParams.get('testVfp');
  if (testVfp) {
    await sleep(Number(url.searchParams.get('delay')) || 0, signal);
    return testVfp;
  }
  const flow = url.searchParams.get('pfflow');
  if (flow === '2' || flow === '3' || /authentication\/validate\/flowcontrol/i.test(redirectUrl)) {
    throw new MobileAuthError('GENERIC_INVALID_STATE', `Mobile Auth flow ${flow ?? '3'} is not supported by this SDK`);
  }
  if (!isAllowedCarrierUrl(url, globalThis.location?.protocol)) {
    throw new MobileAuthError('GENERIC_COMMUNICATION_ERROR', `Web SDK cannot make http request [${url.origin}]`);
  }
  url.searchParams.set('sdkVersion', MOBILE_AUTH_SDK_VERSION);
  return implementation === 'pixel' ? pixelFlow(url, signal) : fetchFlow(url, signal);
}
