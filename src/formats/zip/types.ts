import type { ErrorCode } from '../../core/index.js';

/** Something odd about a ZIP that PyTorch tolerates, so we report it and keep scanning (threats.md §5). */
export interface ZipAnomaly {
  readonly code: ErrorCode;
  readonly message: string;
  /** Byte offset in the archive of the header field concerned. */
  readonly offset: number;
}

/** General-purpose flag bits (APPNOTE 4.4.4). */
export const ZIP_FLAG = {
  ENCRYPTED: 0x0001,
  DATA_DESCRIPTOR: 0x0008,
  PATCHED: 0x0020,
  STRONG_ENCRYPTION: 0x0040,
  UTF8: 0x0800,
} as const;

/** Compression methods we can read; anything else is ZIP_UNSUPPORTED_METHOD. */
export const ZIP_METHOD = { STORED: 0, DEFLATE: 8 } as const;

/** One member, as described by the central directory (the local header only supplies the data start). */
export interface ZipMember {
  /** Member name from the central directory (UTF-8 when flag bit 11 is set, else CP437). */
  readonly name: string;
  /** Compression method from the central directory. */
  readonly method: number;
  /** General-purpose flags from the central directory. */
  readonly flags: number;
  /** General-purpose flags from the local header (reported, never trusted). */
  readonly localFlags: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** CRC-32 from the central directory (never required to match: torch ignores it). */
  readonly crc32: number;
  /** Offset of the local file header. */
  readonly localOffset: number;
  /** Offset of the first data byte: local offset + 30 + local name length + local extra length (as miniz). */
  readonly dataOffset: number;
  /** Offset of this member's central-directory record. */
  readonly centralOffset: number;
  /** Central flags carry 0x1 or 0x40: the data may be ciphertext, returned as stored. */
  readonly encrypted: boolean;
  /** Name ends with `/` and the member is empty. */
  readonly isDirectory: boolean;
  readonly anomalies: readonly ZipAnomaly[];
}

/** A ZIP archive read from its central directory. */
export interface ZipArchive {
  readonly members: readonly ZipMember[];
  /** Offset of the (classic) end-of-central-directory record. */
  readonly eocdOffset: number;
  readonly centralDirectoryOffset: number;
  readonly centralDirectorySize: number;
  /** The archive used a ZIP64 end record. */
  readonly zip64: boolean;
  /** Bytes before the first local header (0 for a normal archive): scan them as their own content. */
  readonly prefixBytes: number;
  /** Archive comment (latin-1), attacker-controlled. */
  readonly comment: string;
  /** Archive-level anomalies (bytes before the first member, gaps, ...). */
  readonly anomalies: readonly ZipAnomaly[];
}
