/**
 * ZIP reader driven by the central directory (threats.md §5), for PyTorch zips, npz, .keras and
 * generic archives. Pure over a {@link ByteSource}: only the end records, the central directory,
 * local headers and the members the caller asks for are read.
 *
 * @packageDocumentation
 */
export type { ZipAnomaly, ZipArchive, ZipMember } from './types.js';
export { ZIP_FLAG, ZIP_METHOD } from './types.js';
export { readZip, MAX_CENTRAL_DIRECTORY_BYTES } from './read.js';
export { readZipMember, checkZipCrc } from './member.js';
export { findEocd, EOCD_SEARCH_BYTES } from './eocd.js';
export { unsafeNameReason, decodeCp437 } from './names.js';
