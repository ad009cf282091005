/**
 * host/: I/O helpers below the registry and CLI — file trees, streaming parallel hashing and the
 * model-signing API over the pure integrity/ layer.
 */
export { openFileSource, ioError, type OpenedSource } from './file-source.js';
export { scanPaths, collectTargets, type ScanPathsOptions } from './scan/index.js';
export { loadModelFile, type LoadModelFileOptions, type LoadedModel } from './load-model.js';
export { listModelFiles, statModelFiles, resolveIgnorePaths, type ModelFile, type ModelTree, type ListOptions } from './model-files.js';
export { hashRanges, hashModelFiles, ttyProgress, PROGRESS_MIN_BYTES, type HashRange, type HashOptions, type HashConfig } from './hash-files.js';
export {
  generateSigningKey,
  writeSigningKey,
  publicKeyPathFor,
  readUserFile,
  hashModel,
  signModel,
  verifyModel,
  assertModelVerified,
  defaultSignaturePath,
  defaultTrustedRoot,
  readTrustedRoot,
  loadTrustPolicy,
  INVALID_CODES,
  type TreeOptions,
  type ManifestOptions,
  type HashResult,
  type SignOptions,
  type SignResult,
  type Trust,
  type VerifyOptions,
  type VerifyResult,
} from './model-signing.js';
