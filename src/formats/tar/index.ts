/**
 * tar reader (ustar, PAX, GNU long names) over a ByteSource: headers only, member data is read by
 * the caller at `dataOffset`.
 *
 * @packageDocumentation
 */
export { readTar, TAR_BLOCK_BYTES, MAX_TAR_META_BYTES, type TarMember, type TarMemberType, type TarAnomaly } from './tar.js';
