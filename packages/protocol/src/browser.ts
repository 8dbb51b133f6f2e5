/**
 * @module @handset/protocol/browser
 * The dependency-free part of the protocol (client protocol constants and types, error tables,
 * limits) for browser bundles: unlike the package index it pulls in no TypeBox schemas.
 */
export * from './client.js';
export * from './errors.js';
export * from './limits.js';
