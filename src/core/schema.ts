import { createRequire } from 'node:module';
import type { Ajv as AjvClass, Options, ValidateFunction } from 'ajv';

// ajv is ~180 CommonJS modules: it is required on the first validation, not at import, so commands that
// never validate a document (scan of a pickle, --help) do not pay for it.
const require = createRequire(import.meta.url);

/** A JSON Schema validator compiled on first use. */
export function lazyValidator<T = unknown>(schema: object, options: Options = {}): () => ValidateFunction<T> {
  let v: ValidateFunction<T> | undefined;
  return () => {
    if (!v) {
      const { Ajv } = require('ajv') as { Ajv: typeof AjvClass };
      v = new Ajv({ allErrors: true, strict: true, ...options }).compile<T>(schema);
    }
    return v;
  };
}
