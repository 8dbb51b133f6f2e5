/**
 * @module @handset/protocol
 * Every wire contract of Handset in one place: the server API schemas, the client protocol
 * constants and types, the error-code tables and the limits. Imported by the server and both SDKs.
 */
export * from './limits.js';
export * from './errors.js';
export * from './server-api.js';
export * from './client.js';
export * from './client-schemas.js';
