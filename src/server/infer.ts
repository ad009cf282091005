import type { IncomingHttpHeaders } from 'node:http';
import { MvError } from '../core/index.js';
import type { Authenticator } from './auth.js';
import type { ModelService, ServedVersion } from './models.js';
import { encodeBinary, jsonData, rawRequest, requestedOutputs, splitBinaryBody, toFrame, toOutput, type InferRequest, type OutputTensor } from './oip.js';

/**
 * The Open Inference Protocol inference call, shared by the Fastify route (plugins/oip.ts) and the
 * hot-path handler in front of Fastify (fast-path.ts), so both give exactly the same answers:
 * access check, version resolution, one parse of the body, validation into a frame, one worker round
 * trip for every requested output, and the response assembled as one string (or JSON + blobs).
 */
export interface InferDeps {
  readonly models: ModelService;
  readonly auth: Authenticator;
  /** Models anyone may call without a token (`serve.public` tag on the model, or --public-model). */
  readonly isPublic: (model: string) => Promise<boolean>;
  /** isPublic from its cache: undefined when the answer is not cached (then isPublic is asked). */
  readonly isPublicNow: (model: string) => boolean | undefined;
}

export interface InferAnswer {
  /** Content-Type of the payload. */
  readonly type: string;
  readonly payload: string | Buffer;
  /** Set for binary responses: the JSON header's byte length. */
  readonly headerLength?: number;
}

/** Reader access to a model (or none for a public model). */
export async function checkAccess(d: InferDeps, req: { readonly headers: IncomingHttpHeaders }, model: string): Promise<void> {
  if (await d.isPublic(model)) return;
  await d.auth.require(req, 'reader');
}

/** Resolves and loads the version a URL means, after the access check. */
export async function servedFor(d: InferDeps, req: { readonly headers: IncomingHttpHeaders }, name: string, version: string | undefined): Promise<ServedVersion> {
  await checkAccess(d, req, name);
  const v = await d.models.resolve({ model: name, ...(version !== undefined ? { version } : {}) });
  return d.models.ensure(v);
}

/**
 * servedFor without a promise, for the hot path: only when the access decision (public model or a
 * cached reader token), the alias resolution and the loaded version are all cached. Otherwise
 * undefined, and the caller awaits servedFor, which asks the registry and gives the exact error.
 */
export function servedNow(d: InferDeps, req: { readonly headers: IncomingHttpHeaders }, name: string, version: string | undefined): ServedVersion | undefined {
  const open = d.isPublicNow(name);
  if (open === undefined || (!open && !d.auth.allowedNow(req, 'reader'))) return undefined;
  return d.models.servedNow(version !== undefined ? { model: name, version } : { model: name });
}

/** Parses an inference body once: JSON, or JSON header + blobs (binary extension). */
export function parseInferBody(headers: IncomingHttpHeaders, body: unknown): { request: InferRequest; blobs?: Buffer; raw?: true } {
  if (!Buffer.isBuffer(body)) throw new MvError('INPUT_INVALID', 'the request needs a JSON body');
  const hl = headers['inference-header-content-length'];
  let request: unknown;
  let blobs: Buffer | undefined;
  if (hl !== undefined) {
    if (typeof hl !== 'string' || !/^[0-9]{1,15}$/.test(hl)) throw new MvError('INPUT_INVALID', 'Inference-Header-Content-Length must be a non-negative integer');
    // Raw binary request: no JSON at all, the body is the single input (runInference builds the request).
    if (Number(hl) === 0) return { request: { inputs: [] }, blobs: body, raw: true };
    const split = splitBinaryBody(body, Number(hl));
    request = split.header;
    blobs = split.blobs;
  } else {
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      throw new MvError('INPUT_INVALID', 'the request body is not valid JSON');
    }
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) throw new MvError('INPUT_INVALID', 'the inference request must be a JSON object');
  const r = request as InferRequest;
  if (r.id !== undefined && typeof r.id !== 'string') throw new MvError('INPUT_INVALID', '"id" must be a string');
  return blobs ? { request: r, blobs } : { request: r };
}

/** Runs one inference for an already served version. */
export async function runInference(d: InferDeps, s: ServedVersion, headers: IncomingHttpHeaders, body: unknown): Promise<InferAnswer> {
  const parsed = parseInferBody(headers, body);
  const { blobs } = parsed;
  const request = parsed.raw ? rawRequest(s, blobs!.length) : parsed.request;
  const frame = toFrame(s, request, blobs);
  const outs = requestedOutputs(s, request);
  let tensors: OutputTensor[];
  if ((s as { onnx?: unknown }).onnx === undefined) {
    // modelvault/1 artifacts: every requested method in ONE worker round trip (batched with other requests).
    const results = await d.models.pool.predictAll(s.key, outs.map((m) => m.method), frame);
    tensors = outs.map((m, k) => toOutput(m, results[k]!));
  } else tensors = await Promise.all(outs.map(async (m) => toOutput(m, await d.models.run(s, m.method, frame))));
  return inferenceAnswer(s, request.id, tensors);
}

/** JSON text of a numeric array (non-finite values become null, as JSON.stringify does). */
function numbersJson(d: ArrayLike<number>): string {
  let out = '[';
  for (let i = 0; i < d.length; i++) {
    const x = d[i]!;
    if (i) out += ',';
    out += Number.isFinite(x) ? String(x) : 'null';
  }
  return `${out}]`;
}

const shapeJson = (shape: readonly number[]): string => (shape.length === 1 ? `[${shape[0]}]` : shape.length === 2 ? `[${shape[0]},${shape[1]}]` : JSON.stringify(shape));

/**
 * The inference response: JSON, or JSON + binary outputs (Inference-Header-Content-Length). The JSON is
 * assembled as one string (names and ids through JSON.stringify, numbers directly): otherwise the
 * response is the hot path's largest allocation.
 */
export function inferenceAnswer(s: ServedVersion, id: string | undefined, tensors: readonly OutputTensor[]): InferAnswer {
  const blobs: Buffer[] = [];
  let outputs = '';
  for (const t of tensors) {
    if (outputs) outputs += ',';
    outputs += `{"name":${JSON.stringify(t.name)},"datatype":${JSON.stringify(t.datatype)},"shape":${shapeJson(t.shape)}`;
    if (t.binary) {
      const b = encodeBinary(t);
      blobs.push(b);
      outputs += `,"parameters":{"binary_data_size":${b.length}}}`;
    } else if (t.data instanceof Float64Array) outputs += `,"data":${numbersJson(t.data)}}`;
    else outputs += `,"data":${JSON.stringify(jsonData(t))}}`;
  }
  const header = `{"model_name":${JSON.stringify(s.model)},"model_version":"${s.version}","id":${JSON.stringify(id ?? '')},"outputs":[${outputs}]}`;
  if (!blobs.length) return { type: 'application/json; charset=utf-8', payload: header };
  const head = Buffer.from(header, 'utf8');
  return { type: 'application/octet-stream', payload: Buffer.concat([head, ...blobs]), headerLength: head.length };
}
