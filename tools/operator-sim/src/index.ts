/**
 * @module @handset/operator-sim
 * A local CAMARA operator for development and tests (see the package README).
 */
export { startOperatorSimulator, LINE_COOKIE, LINE_HEADER, type OperatorSimulator } from './simulator.js';
export type { LineMapping, SimEndpoint, SimFault, SimulatorClient, SimulatorOptions } from './options.js';
export { NV_READ_SCOPE, NV_VERIFY_SCOPE, SIM_SWAP_CHECK_SCOPE, SIM_SWAP_DATE_SCOPE } from './context.js';
