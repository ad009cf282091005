/**
 * Random access to bytes without holding them all: parsers of large containers (a 1 GB PyTorch zip)
 * read only the ranges they need. Pure code takes a ByteSource; `host/` implements it over a file
 * descriptor, `bytesSource` over memory.
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Returns exactly `length` bytes at `offset` (fewer only at end of input). May be a view. */
  read(offset: number, length: number): Uint8Array;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}
