/**
 * Sandboxed model execution (rank 4): worker processes under Node's permission model, rlimits and a
 * private network namespace where the host allows it, with dynamic batching and crash recovery.
 */
export { WorkerPool, type PoolOptions, type PoolEvent, type PoolResult } from './pool.js';
export { detectIsolation, type Isolation } from './isolation.js';
export type { WireFrame, WireTensor, WireTensors, WireTensorType } from './protocol.js';
