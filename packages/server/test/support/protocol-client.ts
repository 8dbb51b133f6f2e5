/**
 * @module protocol-client
 * A test client that speaks the client protocol over HTTP and WebSocket exactly as a browser SDK
 * would (client-protocol.md §3–§5), with a real P-256 Prove Key.
 */
import { ClientPath, PA_VERSION, type AuthTokenClaims, type ClientEnvelope } from '@handset/protocol';
import WebSocket from 'ws';
import type { DeviceKey } from './device-key.js';

export interface Reply<T = ClientEnvelope> {
  status: number;
  body: T;
}

/** Decodes the authToken payload the way the Web SDK does: `atob` on the middle segment. */
export function decodeAuthToken(token: string): AuthTokenClaims {
  const segment = token.split('.')[1] ?? '';
  if (/[-_]/.test(segment)) throw new Error('authToken payload is not atob-safe');
  return JSON.parse(Buffer.from(segment, 'base64').toString('latin1')) as AuthTokenClaims;
}

export async function postJson<T = ClientEnvelope>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(url, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', 'PA-Version': PA_VERSION, ...headers },
    body: text,
  });
  return { status: response.status, body: (await response.json()) as T };
}

export class ProtocolClient {
  readonly claims: AuthTokenClaims;
  readonly authToken: string;
  readonly #endpoint: string | undefined;
  /** `endpoint` overrides the token's `endp` (to reach one chosen instance of several). */
  constructor(authToken: string, endpoint?: string) {
    this.authToken = authToken;
    this.claims = decodeAuthToken(authToken);
    this.#endpoint = endpoint;
  }

  get endp(): string {
    return this.#endpoint ?? this.claims.auth.endp;
  }

  /** The same client (same token) talking to another instance. */
  via(endpoint: string): ProtocolClient {
    return new ProtocolClient(this.authToken, endpoint);
  }

  call<T = ClientEnvelope>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    return postJson<T>(this.endp + path, body, { authorization: `Bearer ${this.authToken}`, ...headers });
  }

  register(key: DeviceKey, challenge = this.claims.auth.chlg): Promise<Reply<ClientEnvelope<{ deviceId: string }>>> {
    return this.call(ClientPath.DEVICE_PASSIVE_REGISTER, {
      deviceName: 'Node test',
      deviceCapabilities: [],
      registrations: [{ publicKey: { id: key.keyId, alg: 'ES256', key: key.publicKeyPem, uvLevel: 0 }, signature: key.sign(challenge) }],
      signals: {},
    });
  }

  verify(key: DeviceKey, challenge = this.claims.auth.chlg): Promise<Reply> {
    const deviceId = key.deviceId ?? '';
    return this.call(ClientPath.DEVICE_PASSIVE_VERIFY, { deviceId, keyId: key.keyId, signature: key.sign(`${deviceId}:${challenge}`), signals: {} });
  }

  /** The device step the Web SDK runs: verify when the key has a deviceId, else register. */
  async deviceStep(key: DeviceKey): Promise<Reply> {
    if (key.deviceId) return this.verify(key);
    const reply = await this.register(key);
    if (reply.body.data?.deviceId) key.deviceId = reply.body.data.deviceId;
    return reply;
  }

  /** Mobile Auth with the fetch implementation: start, GET the carrier URL, finish. */
  async mobileAuth(): Promise<{ start: Reply<ClientEnvelope<{ redirectUrl: string }>>; carrierStatus: number; finish: Reply | null }> {
    const start = await this.call<ClientEnvelope<{ redirectUrl: string }>>(ClientPath.MOBILE_INSTANT_START, { cellularIp: null, implementation: 'fetch' });
    const redirectUrl = start.body.data?.redirectUrl;
    if (!redirectUrl) return { start, carrierStatus: 0, finish: null };
    const carrier = await fetch(`${redirectUrl}?r=f&sdkVersion=3.2.5`);
    if (!carrier.ok) {
      await carrier.body?.cancel();
      return { start, carrierStatus: carrier.status, finish: null };
    }
    const { vfp } = (await carrier.json()) as { vfp: string };
    const finish = await this.call(ClientPath.MOBILE_INSTANT_FINISH, { vfp });
    return { start, carrierStatus: carrier.status, finish };
  }

  reportError(area: string, message: string, code?: number, headers: Record<string, string> = {}): Promise<Reply> {
    return this.call(`/v1/client/${area}/error`, code === undefined ? { message } : { code, message }, headers);
  }

  otpStart(mobileNumber?: string): Promise<Reply> {
    return this.call(ClientPath.MOBILE_OTP_START, mobileNumber === undefined ? {} : { mobileNumber });
  }

  otpFinish(otp: string): Promise<Reply> {
    return this.call(ClientPath.MOBILE_OTP_FINISH, { otp });
  }

  instantLinkStart(mobileNumber?: string): Promise<Reply> {
    const body: Record<string, unknown> = { sourceIp: null, isMobile: false };
    if (mobileNumber !== undefined) body.mobileNumber = mobileNumber;
    return this.call(ClientPath.MOBILE_INSTANTLINK_START, body);
  }

  /** Opens the status socket; resolves once it is open. */
  async openStatusSocket(): Promise<StatusSocket> {
    const url = `${this.endp.replace(/^http/, 'ws')}${ClientPath.STATUS_SOCKET}?token=${encodeURIComponent(this.authToken)}`;
    // A handshake never answered fails in 10 s (the ws client would otherwise wait for ever).
    const socket = new WebSocket(url, { handshakeTimeout: 10_000 });
    const messages: string[] = [];
    const waiters: Array<() => void> = [];
    socket.on('message', (data) => {
      messages.push(data.toString());
      for (const w of waiters.splice(0)) w();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`socket refused with HTTP ${res.statusCode}`)));
    });
    return new StatusSocket(socket, messages, waiters);
  }
}

export class StatusSocket {
  readonly socket: WebSocket;
  readonly messages: string[];
  readonly #waiters: Array<() => void>;
  #closeEvent: { code: number; reason: string } | null = null;
  constructor(socket: WebSocket, messages: string[], waiters: Array<() => void>) {
    this.socket = socket;
    this.messages = messages;
    this.#waiters = waiters;
    socket.on('close', (code, reason) => {
      this.#closeEvent = { code, reason: reason.toString() };
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Resolves with the close code and reason once the socket is closed, within `timeoutMs`. */
  async closed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closeEvent) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('the status socket was not closed in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.#closeEvent;
  }

  /** The next text frame (or one already received), within `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no message on the status socket in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.messages.shift()!;
  }

  send(text: string): void {
    this.socket.send(text);
  }

  close(): void {
    this.socket.close();
  }
}
