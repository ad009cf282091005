import type { Sink } from './rules.js';

/**
 * Keras configs (`.keras` config.json, `.h5` model_config): Lambda layers carry marshalled Python
 * bytecode (CVE-2024-3660); `module` fields import arbitrary modules (CVE-2025-1550); some configs call
 * `enable_unsafe_deserialization` / `set_global_attribute("safe_mode_saving", False)` before a Lambda
 * (CVE-2025-8747, CVE-2025-9906). Checked at any depth (nested models, wrappers such as TimeDistributed).
 */
const KERAS_MODULES = /^(keras|tf_keras|tensorflow\.keras|tensorflow\.python\.keras|keras_hub|keras_nlp|keras_cv)(\.|$)/;
const UNSAFE_SWITCHES = ['enable_unsafe_deserialization', 'safe_mode', 'safe_mode_saving', 'set_global_attribute'];
const MAX_DEPTH = 200;
const LOOKUP_LAYERS = new Set(['StringLookup', 'IntegerLookup', 'TextVectorization', 'Hashing']);

export function judgeKerasConfig(config: unknown, sink: Sink): void {
  if (config === undefined || config === null) return;
  const parsed = typeof config === 'string' ? safeJson(config, sink) : config;
  walk(parsed, sink, 0, '$');
}

function safeJson(text: string, sink: Sink): unknown {
  try {
    return JSON.parse(text);
  } catch {
    sink.error({ code: 'FORMAT_UNKNOWN', message: 'Keras model_config is not valid JSON' });
    return undefined;
  }
}

function walk(v: unknown, sink: Sink, depth: number, path: string): void {
  if (depth > MAX_DEPTH) {
    sink.error({ code: 'LIMIT_EXCEEDED', message: `Keras config nested deeper than ${MAX_DEPTH}` });
    return;
  }
  if (typeof v === 'string') {
    for (const w of UNSAFE_SWITCHES) {
      if (v.includes(w)) sink.finding({ rule: 'SCAN_KERAS_UNSAFE', severity: 'critical', message: `${path} mentions ${w}: the config turns off Keras safe mode` });
    }
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => walk(x, sink, depth + 1, `${path}[${i}]`));
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  const o = v as Record<string, unknown>;
  if (o.class_name === 'TFSMLayer') {
    sink.finding({ rule: 'SCAN_KERAS_UNSAFE', severity: 'high', message: `${path} is a TFSMLayer: it loads a TensorFlow SavedModel (arbitrary graph ops) from outside the file` });
  }
  const cfg = o.config as Record<string, unknown> | undefined;
  if (typeof o.class_name === 'string' && LOOKUP_LAYERS.has(o.class_name) && cfg && typeof cfg === 'object' && typeof cfg.vocabulary === 'string') {
    // CVE-2025-12058: a vocabulary given as a path or URL is read while the model loads.
    sink.finding({ rule: 'SCAN_KERAS_UNSAFE', severity: 'high', message: `${path} (${o.class_name}) reads its vocabulary from ${JSON.stringify(cfg.vocabulary).slice(0, 80)} at load time` });
  }
  if (o.class_name === 'Lambda') {
    sink.finding({ rule: 'SCAN_KERAS_LAMBDA', severity: 'critical', message: `${path} is a ${String(o.class_name)} layer: it carries serialised Python code` });
  }
  if (typeof o.module === 'string' && !KERAS_MODULES.test(o.module) && o.module !== 'builtins') {
    sink.finding({ rule: 'SCAN_KERAS_UNSAFE', severity: 'critical', message: `${path} imports module ${o.module} (not part of Keras)` });
  }
  if (o.module === 'builtins' && typeof o.class_name === 'string' && o.class_name !== 'dict' && o.class_name !== 'list' && o.class_name !== 'tuple') {
    sink.finding({ rule: 'SCAN_KERAS_UNSAFE', severity: 'critical', message: `${path} refers to builtins.${o.class_name}` });
  }
  for (const [k, x] of Object.entries(o)) walk(x, sink, depth + 1, `${path}.${k}`);
}
