/**
 * Scanning files and folders on disk. A sub-folder of host/ with its own index so that `modelvault scan`
 * loads only the scanner, not the signing and model-loading code re-exported by host/index.ts.
 */
export { scanPaths, collectTargets, type ScanPathsOptions } from './scan-files.js';
export { openFileSource, ioError, type OpenedSource } from '../file-source.js';
