import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CODES, isMvError } from '../core/index.js';

/**
 * The one place errors become HTTP answers: MvError → its catalogue status and `{"error": "CODE: message"}`;
 * Fastify's own errors keep their 4xx status; anything else is a 500 with an opaque message, the details
 * going only to the log (never stack traces or internal paths in responses).
 */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (isMvError(err)) {
    const status = CODES[err.code].http;
    if (status >= 500) req.log.error({ reqId: req.id, err, code: err.code }, 'request failed');
    void reply.code(status).send({ error: `${err.code}: ${err.message}` });
    return;
  }
  const fe = err as FastifyError;
  const status = fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
  if (status === 500) {
    req.log.error({ reqId: req.id, err }, 'internal error');
    void reply.code(500).send({ error: 'INTERNAL: internal server error (see the server log)' });
    return;
  }
  const code = status === 413 ? 'LIMIT_EXCEEDED' : status === 415 ? 'USAGE_INVALID' : status === 429 ? 'LIMIT_EXCEEDED' : 'INPUT_INVALID';
  const message = fe.validation ? `invalid request: ${fe.message}` : fe.message;
  void reply.code(status).send({ error: `${code}: ${message}` });
}
