import { lazyValidator, MvError } from '../core/index.js';
import type { PolicyFile } from './classify.js';

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    allow: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['module', 'name', 'reason'],
        properties: {
          module: { type: 'string', minLength: 1, pattern: '^[A-Za-z_][A-Za-z0-9_.]*$' },
          name: { type: 'string', minLength: 1, pattern: '^[A-Za-z_][A-Za-z0-9_.]*$' },
          use: { enum: ['construct', 'reference'] },
          reason: { type: 'string', minLength: 3 },
        },
      },
    },
    deny: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['module', 'reason'],
        properties: { module: { type: 'string', minLength: 1 }, name: { type: 'string' }, reason: { type: 'string', minLength: 3 } },
      },
    },
  },
} as const;

const validator = lazyValidator<PolicyFile>(SCHEMA);

/** Parses a scan policy file (JSON): extra allow-list entries, each with a reason, and extra denials. */
export function parsePolicyFile(text: string): PolicyFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new MvError('USAGE_INVALID', `policy file is not JSON: ${(e as Error).message}`);
  }
  const validate = validator();
  if (!validate(v)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new MvError('USAGE_INVALID', `policy file is invalid: ${problems}`);
  }
  return v as PolicyFile;
}
