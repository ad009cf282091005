/**
 * Conversion (rank 3, pure): an inert pickle graph (src/formats/pickle) becomes the data-only model
 * description of src/runtime (operators + named tensors), and PyTorch checkpoints become plain
 * safetensors tensors. Nothing here executes, imports or evaluates anything from the input.
 *
 * @packageDocumentation
 */
export {
  convertGraph, checkSupport, CONVERTER_VERSION, ESTIMATORS, INNER_TYPES, classesInGraph,
  type Conversion, type ConvertOptions, type ConvertReport, type SupportReport, type EstimatorRow, type Family, type ClassUse,
} from './graph.js';
export { convertTorch, readTorchCheckpoint, materialise, type TorchTensorOut, type TorchConversion, type TorchConvertOptions } from './torch.js';
export { convertFile, openModelFile, sniffBytes, checkParity, syntheticRows, type ConvertFileOptions, type FileConversion, type OpenedFile, type ParityResult } from './file.js';
export { estimatorTree, treeLines, type GraphNode } from './describe.js';
