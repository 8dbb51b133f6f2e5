/**
 * @module redact
 * What may reach a log line or the console, decided by shape rather than by route or field:
 *
 * - **Database URLs** keep their scheme, user, host, database and harmless parameters; the
 *   password (`user:pw@`) and every parameter whose name mentions a pass, secret, key, token or
 *   credential (`password`, `sslpassword`, `sslkey`, `passfile`, URL-encoded names too) become `***`.
 * - **Request URLs** lose their query, and keep only path segments that are plain words (route
 *   names such as `unify-status`), a version (`v1`) or a UUID (ids: correlationId, deviceId, not
 *   credentials). Any other segment (a token, a JWT, a code, a number) becomes `[redacted]`,
 *   whatever the route, matched or not.
 * - **Free text** (messages, error messages and stacks) loses JWTs and their parts, long
 *   token-shaped runs, URL passwords and `name=value` secrets; long digit runs (phone numbers)
 *   are masked down to their last four digits.
 */

export const REDACTED = '[redacted]';

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** Parameter names whose values are secrets (or say where one is). */
const SECRET_NAME = /pass|secret|key|token|cred|auth/i;

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return eq !== -1 && SECRET_NAME.test(decodeName(name)) ? `${name}=***` : pair;
    })
    .join('&');
}

/** Any `…pass…=value` left in a string that did not parse as a URL. */
function redactNameValues(text: string): string {
  return text.replace(/([A-Za-z0-9_.%-]+)=([^&;\s'"]*)/g, (whole, name: string) => (SECRET_NAME.test(decodeName(name)) ? `${name}=***` : whole));
}

/**
 * A database location fit for a log: the password and secret parameters of a URL replaced by
 * `***`. Paths (SQLite files, `:memory:`) are returned unchanged.
 *
 * @example
 * redactDatabaseUrl('postgres://app:pw@db:5432/handset?sslpassword=x&sslmode=require');
 * // "postgres://app:***@db:5432/handset?sslpassword=***&sslmode=require"
 */
export function redactDatabaseUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[0];
  if (!scheme) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Unparsable (an unencoded '/' or '?' in the password): keep only what follows the last '@',
    // without its query.
    const rest = url.slice(url.lastIndexOf('@') + 1 || scheme.length);
    const q = rest.indexOf('?');
    return redactNameValues(`${scheme}${url.includes('@') ? '***@' : ''}${q === -1 ? rest : `${rest.slice(0, q)}?***`}`);
  }
  const user = parsed.username || parsed.password ? `${parsed.username}${parsed.password ? ':***' : ''}@` : '';
  const search = parsed.search ? `?${redactQuery(parsed.search.slice(1))}` : '';
  return redactNameValues(`${parsed.protocol}//${user}${parsed.host}${parsed.pathname}${search}`);
}

const WORD = /^[a-z]+(?:[-_.][a-z]+)*$/i;
const MAX_WORD = 24;
const VERSION = /^v\d{1,2}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function keptSegment(segment: string): boolean {
  return segment === '' || (segment.length <= MAX_WORD && WORD.test(segment)) || VERSION.test(segment) || UUID.test(segment);
}

/**
 * A request URL fit for a log: no query, and every path segment that is not a word, a version
 * or a UUID replaced by `[redacted]` (case and route do not matter).
 *
 * @example
 * redactRequestUrl('/v1/IL/Zm9vYmFyYmF6cXV4?x=1'); // "/v1/IL/[redacted]"
 */
export function redactRequestUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const segments = path.split('/');
  let changed = false;
  for (let i = 0; i < segments.length; i++) {
    if (!keptSegment(segments[i]!)) {
      segments[i] = REDACTED;
      changed = true;
    }
  }
  return changed ? segments.join('/') : path;
}

// Free text is scanned once; each alternative is one shape, tried in this order at each position.
const FREE_TEXT_SHAPES = [
  /* url */ String.raw`[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s'"<>]+`,
  /* jwt: a base64url JSON object (a JWT or a part of one) */ String.raw`eyJ[A-Za-z0-9+/=_-]{6,}(?:\.[A-Za-z0-9_=-]*){0,2}`,
  /* uuid: an id, kept */ String.raw`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`,
  /* base64: standard alphabet (signatures) */ String.raw`(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{40,}={0,2}`,
  /* run: base64url or hex */ String.raw`(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])`,
  /* digits: a phone number */ String.raw`(?<![A-Za-z0-9])\+?\d{7,15}(?![0-9])`,
  /* pair: name=value */ String.raw`[A-Za-z0-9_.%-]+=[^&;\s'"]*`,
];
const FREE_TEXT = new RegExp(FREE_TEXT_SHAPES.map((shape) => `(${shape})`).join('|'), 'g');

function maskDigits(run: string): string {
  const plus = run.startsWith('+');
  const digits = plus ? run.slice(1) : run;
  const head = plus ? `+${digits[0]}` : '';
  return `${head}${'*'.repeat(digits.length - 4 - (plus ? 1 : 0))}${digits.slice(-4)}`;
}

/** Random text has digits, or is too long for a name; words and file names are kept. */
function tokenShaped(run: string): boolean {
  return run.length >= 32 || /\d/.test(run);
}

/** Random base64 mixes digits and both cases; a long file path usually does not. */
function base64Shaped(run: string): boolean {
  return /\d/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run);
}

/**
 * Free text fit for a log (see the module comment).
 *
 * @example
 * scrubText('call +12025550154 with eyJhbGciOi.eyJzdWIi.c2ln'); // "call +1******0154 with [redacted]"
 */
export function scrubText(text: string): string {
  return text.replace(FREE_TEXT, (whole: string, url?: string, jwt?: string, uuid?: string, base64?: string, run?: string, digits?: string) => {
    if (url) return redactUrl(url);
    if (jwt) return REDACTED;
    if (uuid) return whole;
    if (base64) {
      if (base64.startsWith('/')) return redactRequestUrl(base64); // a path, not a signature
      return base64Shaped(base64) ? REDACTED : whole.split(/([+/])/).map(scrubText).join('');
    }
    if (run) return tokenShaped(run) ? REDACTED : whole;
    if (digits) return maskDigits(digits);
    const eq = whole.indexOf('=');
    const name = whole.slice(0, eq);
    return SECRET_NAME.test(decodeName(name)) ? `${name}=***` : `${name}=${scrubText(whole.slice(eq + 1))}`;
  });
}

/**
 * Any URL or request path fit for a log: a database URL without its secrets, a web URL without
 * userinfo and query and with its path as {@link redactRequestUrl} leaves it, a `file:` URL
 * (stack traces) unchanged.
 */
export function redactUrl(url: string): string {
  if (!SCHEME.test(url)) return redactRequestUrl(url);
  if (/^postgres(ql)?:/i.test(url)) return redactDatabaseUrl(url);
  if (/^file:/i.test(url)) return url;
  const scheme = SCHEME.exec(url)![0];
  const rest = url.slice(scheme.length);
  const slash = rest.search(/[/?#]/);
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return `${scheme}${authority.includes('@') ? '***@' : ''}${host}${slash === -1 ? '' : redactRequestUrl(rest.slice(slash))}`;
}

/**
 * A copy of a log value with every string scrubbed (depth-limited; Buffers, such as the raw
 * bytes Node attaches to HTTP parse errors, are dropped).
 */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 4 || ArrayBuffer.isView(value)) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, depth + 1);
  return out;
}
