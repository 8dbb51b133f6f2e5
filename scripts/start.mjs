#!/usr/bin/env node
// `npm start`: the Handset platform and the demo integrator app, ready to use on this machine.
//
// 1. Fails at once, with a clear message, when a port it needs is taken.
// 2. Builds the web SDK bundle (packages/web/dist) when it is missing or older than its sources.
// 3. Keeps its state in ./data: the SQLite database (data/handset.db) and, created once with the
//    platform's CLI, the demo's client credentials (data/demo-client.json) and a development admin
//    for the operator console (data/dev-admin.json), both mode 0600.
// 4. Starts `handset serve` in development mode (not sandbox; SMS go to the outbox page), with one
//    documented number that passes Mobile Auth, then the demo; prints the URLs to open.
// 5. Stops both cleanly on Ctrl-C (or SIGTERM); if either stops by itself, stops the other.
//
// Settings (environment): HANDSET_PORT (8080), DEMO_PORT (3000), DEMO_DATA_DIR (./data),
// DEMO_MOBILE_AUTH_NUMBER (+12025550100), HANDSET_LOG_LEVEL (warn).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

function portFrom(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${name} must be a port number (1-65535), got "${raw}"`);
  return port;
}

const platformPort = portFrom('HANDSET_PORT', 8080);
const demoPort = portFrom('DEMO_PORT', 3000);
if (platformPort === demoPort) fail(`HANDSET_PORT and DEMO_PORT are both ${demoPort}; they must differ`);
const dataDir = resolve(root, process.env.DEMO_DATA_DIR || 'data');
const database = join(dataDir, 'handset.db');
const credentialsFile = join(dataDir, 'demo-client.json');
const adminFile = join(dataDir, 'dev-admin.json');
const mobileAuthNumber = process.env.DEMO_MOBILE_AUTH_NUMBER || '+12025550100';
const platformUrl = `http://${HOST}:${platformPort}`;
const demoUrl = `http://${HOST}:${demoPort}`;
const handsetCli = join(root, 'packages/server/bin/handset.mjs');
const shown = (path) => {
  const near = relative(process.cwd(), path);
  return near === '' ? '.' : near.startsWith('..') ? path : near;
};

/** The platform's environment: development mode, the outbox on, settings from this script only. */
function platformEnv() {
  const env = { ...process.env, HANDSET_DEV: '1', HANDSET_MOBILE_AUTH_NUMBERS: mobileAuthNumber };
  env.HANDSET_LOG_LEVEL = process.env.HANDSET_LOG_LEVEL || 'warn';
  for (const name of ['HANDSET_ENV', 'HANDSET_SANDBOX', 'HANDSET_DATABASE_URL', 'HANDSET_PUBLIC_URL', 'HANDSET_HOST', 'HANDSET_PORT']) delete env[name];
  return env;
}

// ---- 1. ports -------------------------------------------------------------------------------

function probePort(port) {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', (error) => resolvePort(error.code ?? 'error'));
    probe.listen(port, HOST, () => probe.close(() => resolvePort(null)));
  });
}

async function checkPorts() {
  for (const [port, who, variable] of [
    [platformPort, 'the Handset platform', 'HANDSET_PORT'],
    [demoPort, 'the demo', 'DEMO_PORT'],
  ]) {
    const problem = await probePort(port);
    if (problem === 'EADDRINUSE') {
      fail(`port ${port} on ${HOST} is already in use, and ${who} needs it. Stop whatever uses it (is another \`npm start\` running?) or choose another port with ${variable}=…`);
    }
    if (problem) fail(`cannot listen on ${HOST}:${port} for ${who} (${problem}); choose another port with ${variable}=…`);
  }
}

// ---- 2. web SDK bundle ----------------------------------------------------------------------

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

function ensureWebSdk() {
  const bundle = join(root, 'packages/web/dist/handset-web.mjs');
  const sources = [
    'packages/web/src',
    'packages/web/scripts/build.mjs',
    'packages/protocol/src/client.ts',
    'packages/protocol/src/errors.ts',
    'packages/protocol/src/limits.ts',
  ].map((p) => join(root, p));
  const builtAt = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
  if (builtAt > 0 && builtAt >= Math.max(...sources.map(newestMtime))) return;
  console.log(builtAt ? 'The web SDK changed since its last build: rebuilding it…' : 'Building the web SDK (first run)…');
  const result = spawnSync(process.execPath, [join(root, 'packages/web/scripts/build.mjs'), '--no-types'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('building the web SDK failed (see above)');
}

// ---- 3. data, the demo's client and the development admin ------------------------------------

/** Credentials made once with the platform's CLI and kept in a 0600 JSON file under ./data. */
const DEMO_CLIENT = {
  file: credentialsFile,
  what: "the demo's client credentials",
  cli: ['clients', 'create', '--name', 'demo', '--json'],
  fields: ['clientId', 'clientSecret'],
};
const DEV_ADMIN = {
  file: adminFile,
  what: 'the development admin credential for the console',
  cli: ['admins', 'create', '--name', 'Development admin', '--json'],
  fields: ['adminId', 'secret'],
};

function createCredentials(kind) {
  const result = spawnSync(process.execPath, [handsetCli, ...kind.cli, '--database', database], {
    cwd: root,
    encoding: 'utf8',
    env: platformEnv(),
  });
  if (result.status !== 0) throw new Error(`creating ${kind.what} failed: ${(result.stderr || result.stdout).trim()}`);
  let created;
  try {
    created = JSON.parse(result.stdout.trim().split('\n').pop());
  } catch {
    throw new Error(`creating ${kind.what} printed no JSON`);
  }
  writeFileSync(kind.file, `${JSON.stringify({ ...created, createdAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
  console.log(`Created ${kind.what} in ${shown(kind.file)}.`);
  return Object.fromEntries(kind.fields.map((field) => [field, created[field]]));
}

/** The stored credentials of `kind`, or new ones when the file or the database is missing. */
function storedCredentials(kind) {
  mkdirSync(dataDir, { recursive: true });
  if (existsSync(kind.file) && existsSync(database)) {
    try {
      const stored = JSON.parse(readFileSync(kind.file, 'utf8'));
      if (kind.fields.every((field) => typeof stored[field] === 'string')) {
        return Object.fromEntries(kind.fields.map((field) => [field, stored[field]]));
      }
    } catch {
      // Unreadable: make new ones below.
    }
  }
  return createCredentials(kind);
}

/** True when the platform takes the request's credentials (false on 400/401: the database was replaced). */
async function accepted(path, init, what) {
  const res = await fetch(`${platformUrl}${path}`, { method: 'POST', ...init, signal: AbortSignal.timeout(10_000) });
  if (res.status === 401 || res.status === 400) return false;
  if (!res.ok) throw new Error(`the platform answered ${what} with HTTP ${res.status}`);
  return true;
}

const credentialsWork = {
  [DEMO_CLIENT.file]: ({ clientId, clientSecret }) =>
    accepted(
      '/token',
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      },
      '/token',
    ),
  [DEV_ADMIN.file]: ({ adminId, secret }) =>
    accepted('/admin/v1/token', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ adminId, secret }) }, '/admin/v1/token'),
};

/** The stored credentials of `kind` if the running platform takes them, else new ones. */
async function workingCredentials(kind, stored) {
  if (await credentialsWork[kind.file](stored)) return stored;
  console.log(`The platform does not know ${kind.what} in ${shown(kind.file)} (was the database replaced?): creating new ones.`);
  return createCredentials(kind);
}

// ---- 4. the two processes -------------------------------------------------------------------

const children = new Map(); // name → ChildProcess
let stopping = false;

const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Prints a child's output line by line with its name; pino JSON lines become one readable line. */
function relay(name, stream, out) {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) {
      if (!line.trim()) continue;
      let text = line.startsWith(`${name}: `) ? line.slice(name.length + 2) : line;
      try {
        const entry = JSON.parse(line);
        if (entry && typeof entry.msg === 'string') text = `${LEVELS[entry.level] ?? entry.level}: ${entry.msg}`;
      } catch {
        // Not JSON: print as it is.
      }
      out.write(`[${name}] ${text}\n`);
    }
  });
}

function startChild(name, args, env) {
  // Detached: a terminal's Ctrl-C reaches only this script, which then stops each child once.
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.set(name, child);
  relay(name, child.stdout, process.stdout);
  relay(name, child.stderr, process.stderr);
  child.once('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`npm start: ${name} stopped unexpectedly (${signal ?? `exit code ${code}`}); stopping.`);
      void stopAll(1);
    }
  });
  return child;
}

async function waitUntilReady(name, url) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!children.has(name)) throw new Error(`${name} exited before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  const waits = [...children.entries()].map(
    ([name, child]) =>
      new Promise((done) => {
        const timer = setTimeout(() => {
          console.error(`npm start: ${name} did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it.`);
          child.kill('SIGKILL');
        }, STOP_TIMEOUT_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.kill('SIGTERM');
      }),
  );
  Promise.all(waits).then(() => {
    if (exitCode === 0) console.log('Stopped.');
    process.exit(exitCode);
  });
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGKILL');
});

// ---- main -----------------------------------------------------------------------------------

try {
  await checkPorts();
  ensureWebSdk();
  let client = storedCredentials(DEMO_CLIENT);
  let admin = storedCredentials(DEV_ADMIN);

  console.log(`Starting the Handset platform on ${platformUrl} (database ${shown(database)})…`);
  startChild('handset', [handsetCli, 'serve', '--port', String(platformPort), '--host', HOST, '--database', database, '--public-url', platformUrl], platformEnv());
  await waitUntilReady('handset', `${platformUrl}/readyz`);
  client = await workingCredentials(DEMO_CLIENT, client);
  admin = await workingCredentials(DEV_ADMIN, admin);

  console.log(`Starting the demo on ${demoUrl}…`);
  const { HANDSET_CLIENT_ID: _id, HANDSET_CLIENT_SECRET: _secret, ...inherited } = process.env;
  startChild('demo', ['--import', 'tsx', join(root, 'apps/demo/src/cli.ts')], {
    ...inherited,
    DEMO_PORT: String(demoPort),
    DEMO_HOST: HOST,
    DEMO_PUBLIC_URL: demoUrl,
    HANDSET_URL: platformUrl,
    HANDSET_CLIENT_ID: client.clientId,
    HANDSET_CLIENT_SECRET: client.clientSecret,
    DEMO_MOBILE_AUTH_NUMBER: mobileAuthNumber,
  });
  await waitUntilReady('demo', `${demoUrl}/healthz`);

  console.log(`
Handset and the demo are running.

  Demo: open this in your browser      ${demoUrl}
  SMS outbox (it plays the phone)      ${platformUrl}/dev/outbox
  Handset platform                     ${platformUrl}
  Operator console                     ${platformUrl}/admin
    sign in with admin id ${admin.adminId} and the secret in ${shown(adminFile)}

  ${mobileAuthNumber} passes Mobile Auth silently in the mobile flow; any other number
  gets its code or Instant Link in the SMS outbox.
  State is kept in ${shown(dataDir)}/ (SQLite database, demo client and admin credentials).

Press Ctrl-C to stop.`);
} catch (error) {
  console.error(`npm start: ${error.message}`);
  stopAll(1);
}
