/**
 * The HTTP server (rank 6): Open Inference Protocol, registry API, metrics and docs over Fastify, with
 * models executed in the sandboxed worker pool.
 */
export { buildServer, type ServerOptions, type ModelvaultServer } from './app.js';
export { ModelService, type ServedVersion, type ServeRef } from './models.js';
export { inputsOf, outputsOf } from './oip.js';
