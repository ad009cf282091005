/**
 * modelvault library API. Each capability is re-exported from its layer's index.
 */
export * from './core/index.js';
