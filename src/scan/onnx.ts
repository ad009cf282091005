import type { OnnxModel } from '../formats/onnx/index.js';
import type { Sink } from './rules.js';

/** Operator domains implemented by ONNX Runtime itself; anything else needs a custom-op library. */
const BUILTIN_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.preview.training', 'com.microsoft', 'com.microsoft.nchwc', 'org.pytorch.aten']);

/** External data must be a relative path that stays inside the model folder. */
export function externalPathEscapes(location: string): boolean {
  if (location.includes('\\') || location.includes('\0') || location.startsWith('/') || /^[a-zA-Z]:/.test(location)) return true;
  let depth = 0;
  for (const part of location.split('/')) {
    if (part === '..') depth--;
    else if (part !== '.' && part !== '') depth++;
    if (depth < 0) return true;
  }
  return false;
}

export function judgeOnnx(model: OnnxModel, sink: Sink): void {
  for (const t of model.externalData) {
    if (externalPathEscapes(t.location)) {
      sink.finding({ rule: 'SCAN_ONNX_EXTERNAL_DATA', severity: 'high',
        message: `tensor ${t.tensor ?? ''} reads external data from ${JSON.stringify(t.location)}, outside the model folder` });
    }
  }
  // A call of a model-local function (domain + op type = the function's domain + name) is defined in the
  // model itself; every other op from a non-built-in domain needs a native library, inside functions too.
  const local = new Set<string>();
  for (const n of model.nodes) {
    const m = /^function:([^/]*)\/([^/]+)/.exec(n.scope);
    if (m) local.add(`${m[1]}\u0000${m[2]}`);
  }
  const domains = new Set<string>();
  for (const n of model.nodes) {
    if (!BUILTIN_DOMAINS.has(n.domain) && !local.has(`${n.domain}\u0000${n.opType}`)) domains.add(n.domain);
  }
  for (const o of model.opsetImports) if (!BUILTIN_DOMAINS.has(o.domain) && !model.functionDomains.includes(o.domain)) domains.add(o.domain);
  for (const d of domains) {
    sink.finding({ rule: 'SCAN_ONNX_CUSTOM_DOMAIN', severity: 'high', message: `operators from custom domain ${JSON.stringify(d)} need native code outside the model` });
  }
}
