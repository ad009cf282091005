import { createHash } from 'node:crypto';

/** SHA-256 of bytes as lowercase hex. Pure computation: allowed in rank 0. */
export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
