import { MvError, type Limits } from '../../core/index.js';

/**
 * Output limits for one stream. The ratio is checked against the compressed bytes consumed so far,
 * not the whole input, so a bomb is stopped after at most one input chunk's worth of expansion:
 * memory stays bounded by `ratio × chunk`, not by `ratio × file`.
 */
export class OutputCap {
  constructor(
    readonly kind: string,
    readonly maxBytes: number,
    readonly maxRatio: number,
  ) {}

  static of(kind: string, limits: Limits): OutputCap {
    return new OutputCap(kind, limits.maxDecompressedBytes, limits.maxCompressionRatio);
  }

  /** Throws LIMIT_EXCEEDED when `outputBytes` from `inputBytes` consumed passes either cap. */
  check(outputBytes: number, inputBytes: number): void {
    if (outputBytes > this.maxBytes) {
      throw new MvError('LIMIT_EXCEEDED', `maxDecompressedBytes limit exceeded decompressing ${this.kind} (> ${this.maxBytes} bytes)`,
        { limit: 'maxDecompressedBytes', actual: outputBytes });
    }
    if (outputBytes > this.maxRatio * Math.max(1, inputBytes)) {
      throw new MvError('LIMIT_EXCEEDED', `maxCompressionRatio limit exceeded decompressing ${this.kind} (${outputBytes} bytes from ${inputBytes})`,
        { limit: 'maxCompressionRatio', actual: Math.ceil(outputBytes / Math.max(1, inputBytes)) });
    }
  }

  /** The largest output allowed for `inputBytes` of input. */
  bound(inputBytes: number): number {
    return Math.min(this.maxBytes, Math.floor(this.maxRatio * Math.max(1, inputBytes)));
  }
}
