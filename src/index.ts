/**
 * modelvault library API. Each capability is re-exported from its layer's index; see the README and
 * docs/ for each. Importing this module loads every layer; import a layer directly for less.
 */
export * from './core/index.js';
export { scanSource, assertSafe, buildPolicy, parsePolicyFile, toSarif, summarise, exitCodeOf, type FileReport, type Finding, type ScanOptions, type Policy, type PolicyFile } from './scan/index.js';
export { parsePickle, disassemble, type PyValue, type PickleResult, type PickleOptions } from './formats/pickle/index.js';
export { loadModel, predict, describeModel, encodeArtifact, decodeArtifact, readInput, type Model, type Prediction, type ModelIR } from './runtime/index.js';
export { convertFile, convertGraph, convertTorch, type FileConversion } from './convert/index.js';
export {
  scanPaths, loadModelFile, verifyModel, assertModelVerified, signModel, hashModel, loadTrustPolicy, generateSigningKey,
  type LoadModelFileOptions, type VerifyResult, type Trust,
} from './host/index.js';
export { Registry } from './registry/index.js';
