/**
 * @module v3
 * The `handset.v3` operations, named as in Prove's TypeScript server SDK so that a migration is
 * an import change: `v3TokenRequest`, `v3UnifyRequest`, `v3UnifyStatusRequest`,
 * `v3UnifyBindRequest` and `v3DeviceRevokeRequest`.
 */
import type { Client } from './client.js';
import type { RequestOptions } from './options.js';
import {
  checkDeviceRevokeResponse,
  checkUnifyResponse,
  checkUnifyResult,
  type V3DeviceRevokeRequest,
  type V3DeviceRevokeRequestResponse,
  type V3TokenRequest,
  type V3TokenRequestResponse,
  type V3UnifyBindRequest,
  type V3UnifyBindRequestResponse,
  type V3UnifyRequest,
  type V3UnifyRequestResponse,
  type V3UnifyStatusRequest,
  type V3UnifyStatusRequestResponse,
} from './responses.js';

/**
 * The server API operations. Reach them as `handset.v3`; every method takes the request body and
 * optional {@link RequestOptions}, fetches and caches the access token itself, and throws a
 * {@link HandsetError} subclass on failure.
 *
 * @example
 * ```ts
 * import { Handset } from '@handset/node';
 * const handset = new Handset({ serverURL, clientId, clientSecret });
 * const res = await handset.v3.v3UnifyRequest({ possessionType: 'mobile', clientRequestId: 'r-1', phoneNumber: '2001004017' });
 * console.log(res.v3UnifyResponse.success); // "pending"
 * ```
 */
export class V3 {
  readonly #client: Client;

  /** @internal Created by {@link Handset}. */
  constructor(client: Client) {
    this.#client = client;
  }

  /**
   * `POST /token`: requests an OAuth access token explicitly. API calls do not need this; they
   * fetch and cache tokens themselves. The token returned here is not put in that cache. Fields
   * left out default to the instance's credentials and `client_credentials`.
   *
   * @example
   * ```ts
   * const { v3TokenResponse } = await handset.v3.v3TokenRequest();
   * console.log(v3TokenResponse.expiresIn); // 3600
   * ```
   */
  async v3TokenRequest(request: V3TokenRequest = {}, options?: RequestOptions): Promise<V3TokenRequestResponse> {
    const { httpMeta, value } = await this.#client.requestToken(request, options);
    const v3TokenResponse = {
      accessToken: value.access_token,
      tokenType: value.token_type,
      expiresIn: value.expires_in ?? 0,
      ...(value.refresh_token === undefined ? {} : { refreshToken: value.refresh_token }),
      ...(value.refresh_expires_in === undefined ? {} : { refreshExpiresIn: value.refresh_expires_in }),
    };
    return { httpMeta, v3TokenResponse };
  }

  /**
   * `POST /v3/unify`: starts a possession session. Send `v3UnifyResponse.authToken` to the
   * browser SDK and keep `correlationId` on the server for the status call.
   *
   * `phoneNumber` is optional. Without it, send `proveId` from an earlier result, or nothing:
   * a Prove Key bound to a number then names it, Mobile Auth may discover it, or the browser SDK
   * asks the person (`phoneNumberNeeded`). See docs/identification-modes.md.
   *
   * @example
   * ```ts
   * const res = await handset.v3.v3UnifyRequest({
   *   possessionType: 'mobile',
   *   clientRequestId: crypto.randomUUID(),
   *   phoneNumber: '2001004017',
   * });
   * session.correlationId = res.v3UnifyResponse.correlationId;
   * return { authToken: res.v3UnifyResponse?.authToken };
   * ```
   *
   * @example
   * ```ts
   * // A returning customer, nothing typed: a bound Prove Key answers with its number.
   * const res = await handset.v3.v3UnifyRequest({ possessionType: 'none', clientRequestId: crypto.randomUUID() });
   * ```
   */
  async v3UnifyRequest(request: V3UnifyRequest, options?: RequestOptions): Promise<V3UnifyRequestResponse> {
    const { httpMeta, value } = await this.#client.callAPI('v3UnifyRequest', '/v3/unify', request, options, checkUnifyResponse);
    return { httpMeta, v3UnifyResponse: value };
  }

  /**
   * `POST /v3/unify-status`: reads the outcome once the browser SDK has finished. `success` is
   * `"true"` (with `deviceId`, `proveId`, `phoneNumber`), `"false"`, `"pending"` or
   * `"possession_required"`; `evaluation` carries each category's `result` and `failureReasons`.
   *
   * @example
   * ```ts
   * import { failureReasons } from '@handset/node';
   * const { v3UnifyStatusResponse: status } = await handset.v3.v3UnifyStatusRequest({ correlationId });
   * if (status.success === 'true') await users.bindDevice(userId, status.deviceId);
   * else console.info(failureReasons(status.evaluation));
   * ```
   */
  async v3UnifyStatusRequest(request: V3UnifyStatusRequest, options?: RequestOptions): Promise<V3UnifyStatusRequestResponse> {
    const { httpMeta, value } = await this.#client.callAPI(
      'v3UnifyStatusRequest',
      '/v3/unify-status',
      request,
      options,
      checkUnifyResult,
    );
    return { httpMeta, v3UnifyStatusResponse: value };
  }

  /**
   * `POST /v3/unify-bind`: after `v3UnifyStatusRequest` returned `"possession_required"` and your
   * own possession check passed, binds the device's Prove Key to `phoneNumber`.
   *
   * @example
   * ```ts
   * const { v3UnifyBindResponse: bound } = await handset.v3.v3UnifyBindRequest({ correlationId, phoneNumber });
   * if (bound.success === 'true') await users.bindDevice(userId, bound.deviceId);
   * ```
   */
  async v3UnifyBindRequest(request: V3UnifyBindRequest, options?: RequestOptions): Promise<V3UnifyBindRequestResponse> {
    const { httpMeta, value } = await this.#client.callAPI(
      'v3UnifyBindRequest',
      '/v3/unify-bind',
      request,
      options,
      checkUnifyResult,
    );
    return { httpMeta, v3UnifyBindResponse: value };
  }

  /**
   * `POST /v3/device/revoke`: deactivates a Prove Key. An unknown or already revoked `deviceId`
   * throws {@link NotFoundError}.
   *
   * @example
   * ```ts
   * const res = await handset.v3.v3DeviceRevokeRequest({ clientRequestId: crypto.randomUUID(), deviceId });
   * console.log(res.v3DeviceRevokeResponse.success); // true
   * ```
   */
  async v3DeviceRevokeRequest(request: V3DeviceRevokeRequest, options?: RequestOptions): Promise<V3DeviceRevokeRequestResponse> {
    const { httpMeta, value } = await this.#client.callAPI(
      'v3DeviceRevokeRequest',
      '/v3/device/revoke',
      request,
      options,
      checkDeviceRevokeResponse,
    );
    return { httpMeta, v3DeviceRevokeResponse: value };
  }
}
