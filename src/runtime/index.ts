/** Model IR, artifact encoding and inference kernels (rank 2; pure). */
export * from './ir.js';
export { TensorBuilder, IR_DTYPE_BYTES, numelOf, type IrTensor, type IrTypedArray } from './tensors.js';
export { encodeArtifact, decodeArtifact, readDescription, assertModelIR, expandDescription, collectRefs, type Artifact, type DecodeOptions, type ModelDescription } from './artifact.js';
export { validateGraph, splitGraph, estimatorMethods, readColumns } from './validate.js';
export { loadModel, compileModel, prepareModel, predict, describeModel, type Model, type Prediction, type PredictOptions } from './model.js';
export { toFrame, readInput, readCsvInput, readJsonInput, readNpyInput, parseCsv, inputFormatOf, type PredictInput, type Cell, type InputFormat } from './input.js';
export { parseNpy, type NpyArray } from './npy.js';
export type { Frame, KernelOut, FinitePolicy } from './kernels/frame.js';
export { applyTrees } from './kernels/trees.js';
export { sigmoid } from './kernels/activation.js';
