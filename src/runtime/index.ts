/** Model IR, artifact encoding and inference kernels (rank 2; pure). */
export * from './ir.js';
export { TensorBuilder, IR_DTYPE_BYTES, numelOf, type IrTensor, type IrTypedArray } from './tensors.js';
export { encodeArtifact, decodeArtifact, readDescription, assertModelIR, collectRefs, type Artifact, type ModelDescription } from './artifact.js';
export { validateGraph, splitGraph, estimatorMethods } from './validate.js';
