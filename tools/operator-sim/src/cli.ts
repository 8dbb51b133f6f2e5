/**
 * @module cli
 * `handset-operator-sim`: runs the simulator in the foreground until interrupted.
 *
 *     handset-operator-sim [--port 7400] [--config operator-sim.json]
 *                          [--client-id handset --client-secret S --redirect-uri URL]...
 *                          [--line +12025550154] [--swapped +12025550154@2026-11-30T10:00:00Z]
 *
 * `--config` reads a JSON file of {@link SimulatorOptions} (without `now`); the flags add to it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SimulatorOptions } from './options.js';
import { startOperatorSimulator } from './simulator.js';

/** Parses the arguments into simulator options (exported for tests). Throws with a usage message. */
export function optionsFromArgs(argv: string[]): SimulatorOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      config: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      line: { type: 'string' },
      swapped: { type: 'string', multiple: true },
    },
    strict: true,
  });
  const options: SimulatorOptions = values.config ? (JSON.parse(readFileSync(values.config, 'utf8')) as SimulatorOptions) : { clients: [] };
  options.clients ??= [];
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got "${values.port}"`);
    options.port = port;
  }
  if (values['client-id'] !== undefined) {
    if (!values['client-secret'] || !values['redirect-uri']?.length) throw new Error('--client-id needs --client-secret and at least one --redirect-uri');
    options.clients.push({ clientId: values['client-id'], clientSecret: values['client-secret'], redirectUris: values['redirect-uri'] });
  }
  if (values.line !== undefined) options.lines = { ...options.lines, default: values.line };
  for (const entry of values.swapped ?? []) {
    const at = entry.indexOf('@');
    if (at === -1 || Number.isNaN(Date.parse(entry.slice(at + 1)))) throw new Error(`--swapped must be +NUMBER@RFC3339, got "${entry}"`);
    options.simChanges = { ...options.simChanges, [entry.slice(0, at)]: entry.slice(at + 1) };
  }
  if (options.clients.length === 0) throw new Error('no client registered: pass --config or --client-id/--client-secret/--redirect-uri');
  return options;
}

/** Runs the command. */
export async function main(argv: string[]): Promise<void> {
  let options: SimulatorOptions;
  try {
    options = optionsFromArgs(argv);
  } catch (error) {
    console.error(`handset-operator-sim: ${(error as Error).message}`);
    process.exitCode = 2;
    return;
  }
  const sim = await startOperatorSimulator(options);
  console.log(`operator simulator listening on ${sim.url} (issuer and CAMARA API root; discovery at ${sim.url}/.well-known/openid-configuration)`);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
