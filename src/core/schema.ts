import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
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

/**
 * The validator `npm run build` prebuilt from `schema` (scripts/gen-validators.mjs, ajv standalone
 * code beside the compiled module): loading it costs milliseconds where compiling the schema costs
 * 100–300 ms, and generates no code at run time. Running from src/ (the tests), there is none, and
 * `schema` is compiled with the same `options` on first use.
 */
export function prebuiltValidator<T = unknown>(prebuilt: URL, schema: object, options: Options = {}): () => ValidateFunction<T> {
  const compiled = lazyValidator<T>(schema, options);
  let v: ValidateFunction<T> | undefined;
  return () => {
    if (!v) {
      try {
        v = require(fileURLToPath(prebuilt)) as ValidateFunction<T>;
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw e;
        v = compiled();
      }
    }
    return v;
  };
}
