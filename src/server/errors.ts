import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CODES, isMvError } from '../core/index.js';

/**
 * The one place errors become HTTP answers: MvError → its catalogue status and `{"error": "CODE: message"}`;
 * Fastify's own errors keep their 4xx status; anything else is a 500 with an opaque message, the details
 * going only to the log (never stack traces or internal paths in responses).
 */
export function errorBody(err: unknown): { status: number; body: string } {
  if (isMvError(err)) return { status: CODES[err.code].http, body: JSON.stringify({ error: `${err.code}: ${err.message}` }) };
  const fe = err as FastifyError;
  const status = fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
  if (status === 500) return { status, body: '{"error":"INTERNAL: internal server error (see the server log)"}' };
  const code = status === 413 ? 'LIMIT_EXCEEDED' : status === 415 ? 'USAGE_INVALID' : status === 429 ? 'LIMIT_EXCEEDED' : 'INPUT_INVALID';
  const message = fe.validation ? `invalid request: ${fe.message}` : fe.message;
  return { status, body: JSON.stringify({ error: `${code}: ${message}` }) };
}

/** Fastify's error handler: `errorBody`, logging 5xx with the request id. */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const r = errorBody(err);
  if (r.status >= 500) req.log.error({ reqId: req.id, err, ...(isMvError(err) ? { code: err.code } : {}) }, isMvError(err) ? 'request failed' : 'internal error');
  void reply.code(r.status).type('application/json; charset=utf-8').send(r.body);
}
