/**
 * @module raw-http
 * Sends arbitrary bytes to a server over a plain TCP socket and reads back one HTTP/1.1 answer,
 * so tests can send what no HTTP client would (bad chunking, duplicate Content-Length, raw CR/NUL
 * in headers, truncated bodies).
 */
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawResult {
  /** The first final (non-1xx) answer, or null when the server closed or went quiet without one. */
  answer: RawAnswer | null;
  /** With `untilClosed`: every complete answer on the connection, in order. */
  answers: RawAnswer[];
  /** True when nothing came back before the timeout (the server still waits for bytes). */
  timedOut: boolean;
}

export interface RawOptions {
  /** Half-close the socket after writing (a client that hangs up mid-request). */
  end?: boolean;
  /** The request was HEAD: the answer has no body whatever its Content-Length says. */
  head?: boolean;
  /** Give up after this long without a complete answer (a safety net, not an assertion). */
  timeoutMs?: number;
  /** Read every answer until the server closes the connection, not just the first. */
  untilClosed?: boolean;
}

interface Head {
  status: number;
  headers: Record<string, string>;
  bodyStart: number;
}

function parseHead(data: Buffer, from: number): Head | null {
  const end = data.indexOf('\r\n\r\n', from);
  if (end < 0) return null;
  const [statusLine = '', ...lines] = data.subarray(from, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, bodyStart: end + 4 };
}

/** The body of a chunked answer and its length on the wire once its last chunk has arrived, else null. */
function dechunk(data: Buffer): { body: Buffer; length: number } | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size) || size === 0) return { body: Buffer.concat(parts), length: Math.min(data.length, lineEnd + 4) };
    if (data.length < lineEnd + 2 + size + 2) return null;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** Every complete answer in `data`, in order. */
function parseAll(data: Buffer, options: RawOptions, closed: boolean): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let from = 0;
  while (from < data.length) {
    const parsed = parseAnswer(data.subarray(from), options, closed);
    if (!parsed) break;
    answers.push(parsed.answer);
    if (parsed.end <= 0) break;
    from += parsed.end;
  }
  return answers;
}

/** The complete final answer in `data` and where it ends, or null while more bytes are needed. */
function parseAnswer(data: Buffer, options: RawOptions, closed: boolean): { answer: RawAnswer; end: number } | null {
  let from = 0;
  for (;;) {
    const head = parseHead(data, from);
    if (!head) return null;
    // 100 Continue and other interim answers come before the real one.
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      from = head.bodyStart;
      continue;
    }
    const rest = data.subarray(head.bodyStart);
    const done = (body: Buffer, length: number): { answer: RawAnswer; end: number } => ({
      answer: { status: head.status, headers: head.headers, body },
      end: head.bodyStart + length,
    });
    if (options.head || head.status === 101 || head.status === 204 || head.status === 304) return done(Buffer.alloc(0), 0);
    if (head.headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
      const chunked = dechunk(rest);
      return chunked ? done(chunked.body, chunked.length) : closed ? done(rest, rest.length) : null;
    }
    const length = head.headers['content-length'];
    if (length !== undefined) {
      const n = Number(length);
      return rest.length >= n ? done(rest.subarray(0, n), n) : closed ? done(rest, rest.length) : null;
    }
    return closed ? done(rest, rest.length) : null;
  }
}

export async function sendRaw(url: string, bytes: Buffer | string, options: RawOptions = {}): Promise<RawResult> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: RawResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const result = (closed: boolean, timedOut: boolean): RawResult => {
      const answers = parseAll(Buffer.concat(chunks), options, closed);
      return { answer: answers[0] ?? null, answers, timedOut };
    };
    const timer = setTimeout(() => finish(result(true, true)), options.timeoutMs ?? 10_000);
    socket.on('connect', () => {
      socket.write(bytes);
      if (options.end) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!options.untilClosed && parseAnswer(Buffer.concat(chunks), options, false)) finish(result(false, false));
    });
    // A reset after the answer was written still leaves the answer readable.
    socket.on('error', () => finish(result(true, false)));
    socket.on('close', () => finish(result(true, false)));
  });
}
