/**
 * @module @handset/server
 * The Handset platform: configuration, wiring, the HTTP app and a runnable server.
 */
export { loadConfig, insecureDefaults, type Config, type ConfigInput } from './config.js';
export { createDeps, type Deps, type DepsOverrides } from './deps.js';
export { buildApp } from './http/app.js';
export { startServer, type RunningServer } from './server.js';
export { createClient } from './flows/clients.js';
export { ManualClock, systemClock, type Clock } from './ports/clock.js';
