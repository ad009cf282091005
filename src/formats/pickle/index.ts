/**
 * The pickle engine: an inert interpreter for Python pickle protocols 0–5 with numpy, joblib and
 * PyTorch profiles (formats.md §1–§3, §7). Nothing is ever imported or executed; see docs/pickle.md.
 */
export type * from './types.js';
export { parsePickle, pyTypeName, type PickleOptions } from './vm.js';
export { OPS, OP_BY_CODE, OP_BY_NAME, type OpInfo, type OpName, type ArgKind } from './opcodes.js';
export { readOps, disassemble, type OpRecord, type OpArg, type DisassembleOptions } from './dis.js';
export { dictGet, dictEntries, isGlobalRef, asInt, asFloat, asStr, describeValue, dtypeHasObject } from './values.js';
export { NATIVES, nativeFor, type NativeInfo } from './reconstruct.js';
export { TORCH_STORAGES, TORCH_DTYPES, type TorchDTypeInfo } from './torch.js';
export { isJoblibWrapper, isLegacyJoblibWrapper } from './joblib.js';
export { dtypeStr, decodeScalar } from './numpy.js';
export { fixPy2Name } from './compat.js';
