/**
 * @module version
 * The version of `@handset/server`, read from its package.json: the file sits one level above
 * both `src/` (in the repository) and `dist/` (in the built package), so one path serves both.
 */
import { createRequire } from 'node:module';

/** The `version` of `@handset/server`'s package.json, e.g. `0.1.0`. */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
