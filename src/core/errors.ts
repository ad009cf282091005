import { CODES, type ErrorCode } from './codes.js';

/** Where an error happened: a byte offset in the outer input and/or a path of container members. */
export interface ErrorLocation {
  /** Byte offset in the outermost input (or in the member named by `path`). */
  readonly offset?: number;
  /** Container members (`['archive/data.pkl']`) or JSON path elements leading to the problem. */
  readonly path?: readonly (string | number)[];
  /** For LIMIT_EXCEEDED: which limit, and the value that broke it. */
  readonly limit?: string;
  readonly actual?: number;
}

/**
 * The one error type modelvault throws on purpose. `code` is stable and documented; `message` is for
 * humans and may change. Edges (CLI, server) map codes to exit codes and HTTP statuses.
 */
export class MvError extends Error {
  override readonly name = 'MvError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly at: ErrorLocation = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get http(): number {
    return CODES[this.code].http;
  }

  get exit(): number {
    return CODES[this.code].exit;
  }

  /** One line for a user: code, message and location, no stack. */
  describe(): string {
    const where: string[] = [];
    if (this.at.path?.length) where.push(this.at.path.join(' > '));
    if (this.at.offset !== undefined) where.push(`byte ${this.at.offset}`);
    return `${this.code}: ${this.message}${where.length ? ` (at ${where.join(', ')})` : ''}`;
  }
}

export const isMvError = (e: unknown): e is MvError => e instanceof MvError;

/** Throws LIMIT_EXCEEDED when `actual` is above `max`. */
export function checkLimit(limit: string, actual: number, max: number, at: ErrorLocation = {}): void {
  if (actual > max) {
    throw new MvError('LIMIT_EXCEEDED', `${limit} limit exceeded: ${actual} > ${max}`, { ...at, limit, actual });
  }
}

/** Exhaustiveness guard for switches over tagged unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new MvError('INTERNAL', `unexpected ${what}: ${JSON.stringify(x)}`);
}
