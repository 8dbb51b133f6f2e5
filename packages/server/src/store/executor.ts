/**
 * @module executor
 * What repositories run their queries on: the database itself or an open transaction.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export type Executor = Kysely<Database> | Transaction<Database>;
