/**
 * Minimal bounded ONNX ModelProto reader (hand-written protobuf wire decoding; see wire.ts for why):
 * opsets, nodes at every depth, tensors and their external-data references.
 *
 * @packageDocumentation
 */
export { readOnnx, MAX_ONNX_GRAPH_DEPTH, type OnnxModel, type OnnxNode, type OnnxOpset, type OnnxExternalData, type OnnxTensor } from './model.js';
