/**
 * @module cli
 * Runs the demo as a process (what `npm start` spawns):
 * `node --import tsx apps/demo/src/cli.ts`, configured by environment variables so the client
 * secret never shows in a process list:
 *
 * | Variable | Default |
 * |---|---|
 * | `DEMO_PORT`, `DEMO_HOST` | `3000`, `127.0.0.1` |
 * | `DEMO_PUBLIC_URL` | `http://{DEMO_HOST}:{DEMO_PORT}` |
 * | `HANDSET_URL` | `http://127.0.0.1:8080` |
 * | `HANDSET_CLIENT_ID`, `HANDSET_CLIENT_SECRET` | required |
 * | `DEMO_MOBILE_AUTH_NUMBER` | none (a hint shown on the page) |
 *
 * Stops cleanly on SIGINT and SIGTERM.
 */
import { startDemo } from './main.js';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`demo: ${name} is not set (create a client with \`handset clients create --name demo --json\`)`);
    process.exit(1);
  }
  return value;
}

const port = Number(process.env.DEMO_PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`demo: DEMO_PORT must be a port number, got "${process.env.DEMO_PORT}"`);
  process.exit(1);
}

try {
  const demo = await startDemo({
    port,
    host: process.env.DEMO_HOST ?? '127.0.0.1',
    ...(process.env.DEMO_PUBLIC_URL ? { publicUrl: process.env.DEMO_PUBLIC_URL } : {}),
    handsetUrl: process.env.HANDSET_URL ?? 'http://127.0.0.1:8080',
    clientId: required('HANDSET_CLIENT_ID'),
    clientSecret: required('HANDSET_CLIENT_SECRET'),
    ...(process.env.DEMO_MOBILE_AUTH_NUMBER ? { mobileAuthNumber: process.env.DEMO_MOBILE_AUTH_NUMBER } : {}),
    log: (line) => console.log(`demo: ${line}`),
  });
  console.log(`demo: listening on ${demo.url}`);
  const stop = (): void => {
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(code === 'EADDRINUSE' ? `demo: port ${port} is already in use (set DEMO_PORT to another port)` : `demo: ${(error as Error).message}`);
  process.exit(1);
}
