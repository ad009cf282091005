/**
 * The error and rule code catalogue: the single source of truth for every stable code modelvault
 * emits. Codes are `LAYER_WHAT`, never renamed once released; `docs/errors.md` lists exactly these
 * (checked by test/core/codes.test.ts, both ways).
 *
 * `http` is the status the server maps the code to; `exit` the CLI exit code when the code ends a
 * command (commands with their own exit-code contract, such as `scan` and `verify`, override it).
 */
export interface CodeInfo {
  readonly doc: string;
  readonly http: number;
  readonly exit: number;
}

const USAGE = { http: 400, exit: 4 } as const;
const INPUT = { http: 400, exit: 2 } as const;
const BLOCK = { http: 422, exit: 1 } as const;

// Each layer owns one section. Add codes to your layer's section only; keep each section sorted.
const TABLE = {
  // ── core ────────────────────────────────────────────────────────────────────────────────────
  INTERNAL: { doc: 'An unexpected internal error; details are only in the log.', http: 500, exit: 70 },
  LIMIT_EXCEEDED: { doc: 'A configured resource limit (size, depth, count, time) was exceeded.', ...INPUT },
  USAGE_INVALID: { doc: 'Invalid command-line arguments or API options.', ...USAGE },
  IO_ERROR: { doc: 'A file could not be read or written.', http: 500, exit: 2 },
  IO_NOT_FOUND: { doc: 'A path given by the user does not exist.', http: 404, exit: 2 },

  // ── formats: pickle ─────────────────────────────────────────────────────────────────────────
  PICKLE_BAD_ARGUMENT: { doc: 'An opcode argument is malformed (bad number, string or length).', ...INPUT },
  PICKLE_BAD_OPERAND: { doc: 'An opcode found an operand of the wrong type on the stack.', ...INPUT },
  PICKLE_BAD_PROTO: { doc: 'PROTO is greater than 5, repeated, or not the first opcode.', ...INPUT },
  PICKLE_EXT_OPCODE: { doc: 'EXT1/EXT2/EXT4 (copyreg extension registry) is not supported.', ...INPUT },
  PICKLE_FRAME_VIOLATION: { doc: 'An opcode or argument crosses a FRAME end, or a FRAME opens inside a frame.', ...INPUT },
  PICKLE_MARK_MISSING: { doc: 'An opcode needed a MARK and none was on the metastack.', ...INPUT },
  PICKLE_MEMO_MISSING: { doc: 'GET of a memo slot that was never stored.', ...INPUT },
  PICKLE_NEXT_BUFFER: { doc: 'NEXT_BUFFER refers to an out-of-band buffer, which files never carry.', ...INPUT },
  PICKLE_NO_STOP: { doc: 'The stream ended without a STOP opcode.', ...INPUT },
  PICKLE_PERSID: { doc: 'A persistent id appeared outside a container that defines them.', ...INPUT },
  PICKLE_RECONSTRUCT_INVALID: { doc: 'A native data reconstructor (numpy, torch, codecs) got invalid arguments.', ...INPUT },
  PICKLE_STACK_NOT_EMPTY: { doc: 'Values were left on the stack at STOP.', ...INPUT },
  PICKLE_STACK_UNDERFLOW: { doc: 'An opcode popped from an empty stack.', ...INPUT },
  PICKLE_TRAILING_BYTES: { doc: 'Bytes follow the final STOP that no container explains.', ...INPUT },
  PICKLE_TRUNCATED: { doc: 'The stream ends inside an opcode or its argument.', ...INPUT },
  PICKLE_UNKNOWN_OPCODE: { doc: 'A byte that is not a pickle opcode was found where an opcode was expected.', ...INPUT },

  // ── formats: containers ─────────────────────────────────────────────────────────────────────
  FORMAT_UNKNOWN: { doc: 'The content is not a recognised model format.', ...INPUT },
  FORMAT_UNSUPPORTED: { doc: 'The container is recognised but cannot be opened (7z, rar, encrypted, zstd).', ...INPUT },
  DECOMPRESS_FAILED: { doc: 'A compressed stream is corrupt or uses an unsupported method.', ...INPUT },
  LGBM_MODEL_INVALID: { doc: 'A LightGBM text model is malformed (missing or inconsistent fields, unknown objective).', ...INPUT },
  NPY_HEADER_INVALID: { doc: 'A .npy header is malformed.', ...INPUT },
  ONNX_INVALID: { doc: 'An ONNX model is not a well-formed ModelProto protobuf (wire format, field types, external-data entries).', ...INPUT },
  ST_DUPLICATE_KEY: { doc: 'A safetensors header repeats a key.', ...INPUT },
  ST_HEADER_INVALID: { doc: 'A safetensors header is not valid UTF-8 JSON of the required shape.', ...INPUT },
  ST_HEADER_TOO_LARGE: { doc: 'A safetensors header is larger than the 100 MB cap or than the file.', ...INPUT },
  ST_HEADER_TOO_SMALL: { doc: 'A safetensors file is shorter than its 8-byte length prefix.', ...INPUT },
  ST_INCOMPLETE_BUFFER: { doc: 'safetensors tensor data does not cover the file exactly.', ...INPUT },
  ST_INVALID_DTYPE: { doc: 'A safetensors dtype is unknown.', ...INPUT },
  ST_OFFSETS_NOT_CONTIGUOUS: { doc: 'safetensors tensor offsets have gaps, overlaps or are out of order.', ...INPUT },
  ST_TENSOR_SIZE_MISMATCH: { doc: 'A safetensors tensor byte length does not match its shape and dtype.', ...INPUT },
  TAR_INVALID: { doc: 'A tar archive header is malformed.', ...INPUT },
  UBJSON_INVALID: { doc: 'A UBJSON document is malformed (unknown marker, bad length, truncated, over limits).', ...INPUT },
  XGB_MODEL_INVALID: { doc: 'An XGBoost model document is malformed or uses an unsupported feature (legacy binary, multi-output trees).', ...INPUT },
  ZIP_CRC_MISMATCH: { doc: 'A ZIP member CRC-32 does not match its data (tolerated, reported).', ...INPUT },
  ZIP_DUPLICATE_NAME: { doc: 'Two ZIP members have the same name.', ...INPUT },
  ZIP_ENCRYPTED: { doc: 'A ZIP member is encrypted or flagged as such.', ...INPUT },
  ZIP_FLAG_ANOMALY: { doc: 'ZIP general-purpose flags differ between local and central headers or are unusual.', ...INPUT },
  ZIP_INVALID: { doc: 'A ZIP archive is malformed (no end record, bad offsets, overlapping members).', ...INPUT },
  ZIP_NAME_MISMATCH: { doc: 'A ZIP local-header name differs from the central-directory name.', ...INPUT },
  ZIP_PREFIX_DATA: { doc: 'Bytes precede the first ZIP member (a polyglot; the prefix is scanned as its own content).', ...INPUT },
  ZIP_SIZE_MISMATCH: { doc: 'A ZIP member size differs from its data (stored sizes differ, or inflated length).', ...INPUT },
  ZIP_UNSAFE_NAME: { doc: 'A ZIP or tar member name is absolute, contains .., a backslash or NUL.', ...INPUT },
  ZIP_UNSUPPORTED_METHOD: { doc: 'A ZIP member uses a compression method other than stored or deflate.', ...INPUT },

  // ── scan ────────────────────────────────────────────────────────────────────────────────────
  SCAN_BLOCKED: { doc: 'A file was blocked by the scanner (malicious, unsafe or incomplete).', ...BLOCK },
  SCAN_BUILD_ON_GLOBAL: { doc: 'BUILD sets state on a module or class object (attribute poisoning gadget).', ...BLOCK },
  SCAN_CALLABLE_ARGUMENT: { doc: 'A callable is passed as an argument to another call.', ...BLOCK },
  SCAN_COMPUTED_CALL: { doc: 'A call whose callee is a computed value (the result of another call), not a named global.', ...BLOCK },
  SCAN_DANGEROUS_NAME: { doc: 'A global names a dunder attribute used in sandbox escapes (__builtins__, __globals__, …).', ...BLOCK },
  SCAN_DOTTED_NAME: { doc: 'A global uses a dotted qualified name that is not explicitly allow-listed.', ...BLOCK },
  SCAN_GLOBAL_DENIED: { doc: 'A global is a known-dangerous callable or module (code execution, processes, network, files).', ...BLOCK },
  SCAN_GLOBAL_UNLISTED: { doc: 'A global is not on the allow-list of its format profile.', ...BLOCK },
  SCAN_KERAS_LAMBDA: { doc: 'A Keras model contains a Lambda layer (serialised Python code).', ...BLOCK },
  SCAN_KERAS_UNSAFE: { doc: 'A Keras config disables safe mode or imports arbitrary modules.', ...BLOCK },
  SCAN_MUTATION: { doc: 'APPEND/SETITEM/ADDITEMS target an object that is not a plain container.', ...BLOCK },
  SCAN_NESTED_LOADER: { doc: 'Bytes are passed to a nested deserialiser (pickle.loads, torch.load, …).', ...BLOCK },
  SCAN_NON_STRING_GLOBAL: { doc: 'STACK_GLOBAL operands are not both strings.', ...BLOCK },
  SCAN_ONNX_CUSTOM_DOMAIN: { doc: 'An ONNX graph uses an operator from a custom domain.', ...BLOCK },
  SCAN_ONNX_EXTERNAL_DATA: { doc: 'An ONNX tensor points at external data outside the model folder.', ...BLOCK },
  SCAN_TORCH_MAGIC: { doc: 'A legacy PyTorch magic number was computed instead of being a literal.', ...BLOCK },
  SCAN_SIDE_FILE: { doc: 'A joblib ≤ 0.9 array wrapper loads a side file with np.load(allow_pickle=True).', ...BLOCK },
  SCAN_TORCHSCRIPT: { doc: 'A TorchScript archive carries code.', ...BLOCK },

  // ── integrity (signing) ─────────────────────────────────────────────────────────────────────
  SIG_BUNDLE_INVALID: { doc: 'A signature bundle is malformed or uses an unknown media or payload type.', http: 400, exit: 1 },
  SIG_CHAIN_INVALID: { doc: 'A certificate chain does not reach a trusted root or is not valid for code signing.', http: 400, exit: 1 },
  SIG_IDENTITY_MISMATCH: { doc: 'The signing certificate does not carry an identity the caller or trust policy allows.', http: 400, exit: 1 },
  SIG_INVALID: { doc: 'A signature does not verify.', http: 400, exit: 1 },
  SIG_KEY_MISMATCH: { doc: 'The bundle was signed by a different key than the one given.', http: 400, exit: 1 },
  SIG_KEY_INVALID: { doc: 'A key file cannot be read or is not a supported key type.', ...USAGE },
  SIG_MANIFEST_INCONSISTENT: { doc: "The statement's subject digest does not match its resources.", http: 400, exit: 1 },
  SIG_MODEL_MISMATCH: { doc: 'Files were modified, are missing or are extra compared with the signed manifest.', http: 400, exit: 1 },
  SIG_PATH_UNSAFE: { doc: 'A resource name or model path is unsafe (.., absolute, backslash, symlink leaving the model).', http: 400, exit: 1 },
  SIG_POLICY_INVALID: { doc: 'A trust policy or trusted-root file is malformed.', ...USAGE },
  SIG_UNSIGNED: { doc: 'A model has no signature and the trust policy requires one.', http: 403, exit: 1 },

  // ── audit ───────────────────────────────────────────────────────────────────────────────────
  AUDIT_CHECKPOINT_INVALID: { doc: 'An audit checkpoint is malformed or its signature does not verify.', http: 400, exit: 1 },
  AUDIT_EVENT_INVALID: { doc: 'An audit event does not match the event schema or is not canonical JSON.', ...INPUT },
  AUDIT_KEY_INVALID: { doc: 'A log signing key or verifier key (vkey) is malformed or of an unsupported type.', ...USAGE },
  AUDIT_LOG_INCONSISTENT: { doc: 'Stored audit entries do not reproduce the signed checkpoints.', http: 500, exit: 1 },
  AUDIT_NOTE_INVALID: { doc: 'A signed note is malformed (encoding, layout, signature lines).', http: 400, exit: 1 },
  AUDIT_NOTE_UNVERIFIED: { doc: 'No trusted key signed a note, or a trusted key\'s signature fails.', http: 400, exit: 1 },
  AUDIT_PROOF_INVALID: { doc: 'An inclusion or consistency proof does not verify.', http: 400, exit: 1 },
  AUDIT_RANGE_INVALID: { doc: 'An audit index or tree size lies outside the log (index >= size, size > log size, m > n).', http: 404, exit: 1 },
  AUDIT_RECEIPT_INVALID: { doc: 'A tlog-proof receipt is malformed.', http: 400, exit: 1 },

  // ── runtime / convert ───────────────────────────────────────────────────────────────────────
  ARTIFACT_INVALID: { doc: 'A model artifact does not match its schema or its tensors.', ...INPUT },
  CONVERT_PARITY_FAILED: { doc: 'The converted artifact does not predict the same as the source graph.', http: 500, exit: 1 },
  CONVERT_STATE_INVALID: { doc: "An estimator's pickled state lacks a field or has a field of the wrong type or shape.", http: 422, exit: 1 },
  CONVERT_UNSUPPORTED: { doc: 'The model uses estimators or options the converter does not support.', http: 422, exit: 1 },
  INPUT_INVALID: { doc: 'Prediction input has the wrong shape, names, types or missing values.', ...INPUT },

  // ── sandbox ─────────────────────────────────────────────────────────────────────────────────
  SANDBOX_ONNX_LOAD_FAILED: { doc: 'ONNX Runtime could not load the model (invalid graph, unsupported operator or opset, external data).', http: 422, exit: 1 },
  SANDBOX_ONNX_RUN_FAILED: { doc: 'ONNX Runtime failed while running the model on the given inputs (for example an index out of range).', http: 400, exit: 2 },
  SANDBOX_TIMEOUT: { doc: 'A model worker missed its deadline; it was killed and is being replaced.', http: 503, exit: 2 },
  SANDBOX_UNAVAILABLE: { doc: 'No model worker could run the request (crashed, restarting or shut down).', http: 503, exit: 2 },

  // ── registry / server ───────────────────────────────────────────────────────────────────────
  AUTH_FORBIDDEN: { doc: 'The identity lacks the role needed for this action.', http: 403, exit: 1 },
  AUTH_REQUIRED: { doc: 'No valid token was presented.', http: 401, exit: 1 },
  AUTH_TOKEN_EXPIRED: { doc: 'The API token has expired.', http: 401, exit: 1 },
  AUTH_TOKEN_REVOKED: { doc: 'The API token was revoked (or its identity disabled).', http: 401, exit: 1 },
  REG_BLOB_CORRUPT: { doc: 'A stored blob is missing or its bytes no longer match its digest.', http: 500, exit: 1 },
  REG_CONFLICT: { doc: 'The action conflicts with the current registry state.', http: 409, exit: 1 },
  REG_FORMAT_REFUSED: { doc: 'The upload is clean but neither a safe artifact format nor convertible to one.', http: 422, exit: 1 },
  REG_GONE: { doc: 'The model or version was deleted (tombstoned); its audit history remains.', http: 410, exit: 1 },
  REG_INVALID_NAME: { doc: 'A model, alias or tag name is invalid.', ...USAGE },
  REG_METADATA_INVALID: { doc: 'User metadata or tags are malformed or larger than the limits.', ...USAGE },
  REG_NOT_FOUND: { doc: 'A model, version or alias does not exist.', http: 404, exit: 1 },
  REG_NOT_INITIALISED: { doc: 'The registry folder does not exist or was not initialised (run modelvault init).', http: 500, exit: 2 },
  REG_QUARANTINED: { doc: 'A quarantined original upload is never served as a model.', http: 403, exit: 1 },
  REG_SCHEMA_UNSUPPORTED: { doc: 'The registry database was written by a newer modelvault (schema version too high).', http: 500, exit: 2 },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof TABLE;
export const CODES: Readonly<Record<ErrorCode, CodeInfo>> = TABLE;
export const isErrorCode = (s: string): s is ErrorCode => Object.hasOwn(TABLE, s);
