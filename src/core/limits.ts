/**
 * Resource limits shared by every parser. Every limit is configurable; breaking one raises
 * LIMIT_EXCEEDED naming it, and the scanner reports the file as `incomplete`, never clean.
 */
export interface Limits {
  /** Largest input file or member read into memory, in bytes. */
  readonly maxInputBytes: number;
  /** Largest total decompressed output of one stream, in bytes. */
  readonly maxDecompressedBytes: number;
  /** Largest decompressed/compressed size ratio before a stream counts as a bomb. */
  readonly maxCompressionRatio: number;
  /** Deepest nesting of containers (zip in gzip in tar …). */
  readonly maxContainerDepth: number;
  /** Most members in one archive. */
  readonly maxArchiveMembers: number;
  /** Most pickle opcodes executed per stream. */
  readonly maxPickleOps: number;
  /** Deepest pickle stack. */
  readonly maxStackDepth: number;
  /** Most memo entries. */
  readonly maxMemoEntries: number;
  /** Most elements in one pickle container (list, dict, tuple, set). */
  readonly maxContainerItems: number;
  /** Deepest nesting of pickle values (lists in dicts in tuples …). */
  readonly maxValueDepth: number;
  /** Most nested pickle streams (joblib object arrays, legacy torch) per file. */
  readonly maxNestedPickles: number;
  /** Wall-clock budget per file, in milliseconds. */
  readonly maxMillisPerFile: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxInputBytes: 8 * 1024 ** 3,
  maxDecompressedBytes: 4 * 1024 ** 3,
  maxCompressionRatio: 1000,
  maxContainerDepth: 4,
  maxArchiveMembers: 100_000,
  maxPickleOps: 50_000_000,
  maxStackDepth: 100_000,
  maxMemoEntries: 10_000_000,
  maxContainerItems: 50_000_000,
  maxValueDepth: 1_000,
  maxNestedPickles: 100_000,
  maxMillisPerFile: 60_000,
});

export function withLimits(overrides: Partial<Limits> = {}): Limits {
  return Object.freeze({ ...DEFAULT_LIMITS, ...overrides });
}
