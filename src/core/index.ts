export { CODES, isErrorCode, type CodeInfo, type ErrorCode } from './codes.js';
export { MvError, isMvError, checkLimit, assertNever, type ErrorLocation } from './errors.js';
export { decodeUtf8, decodeLatin1, toSafeInt, mulChecked, viewOf, equalBytes, startsWith, toHex, halfToNumber, decodeBase64Canonical } from './bytes.js';
export { DEFAULT_LIMITS, withLimits, type Limits } from './limits.js';
export { sha256Hex } from './hash.js';
export { indexUnique } from './table.js';
export { bytesSource, type ByteSource } from './source.js';
export { lazyValidator, prebuiltValidator } from './schema.js';
