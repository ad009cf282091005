/** safetensors: strict reader (reference order + duplicate keys) and canonical writer (formats.md §8). */
export { parseSafetensors, MAX_HEADER_BYTES, type SafetensorsFile, type StTensorInfo, type StAnomaly, type ParseSafetensorsOptions } from './parse.js';
export { writeSafetensors, type StTensorInput } from './write.js';
export { ST_DTYPES, ST_DTYPE_BY_NAME, type StDtype, type StDtypeInfo } from './dtypes.js';
export { readJson, toPlain, parseCanonical, parseValues, type JsonNode, type JsonReadOptions } from './json.js';
