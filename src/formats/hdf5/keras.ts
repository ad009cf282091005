import { createRequire } from 'node:module';
import { MvError, startsWith } from '../../core/index.js';

type Jsfive = typeof import('jsfive');
let jsfive: Jsfive | undefined;
/** jsfive (a 6 000-line bundle) is loaded on first use, synchronously, so `scan` start-up stays light. */
const loadJsfive = (): Jsfive => (jsfive ??= createRequire(import.meta.url)('jsfive') as Jsfive);

/** HDF5 superblock signature (at offset 0 for files Keras writes). */
export const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** The Keras configuration stored in an HDF5 model's root attributes (Keras 2 `save_format='h5'`). */
export interface KerasH5Config {
  /** Parsed JSON of the `model_config` attribute (layers, including Lambda layers with code). */
  readonly modelConfig?: unknown;
  /** Parsed JSON of the `training_config` attribute (loss, metrics, optimizer: may name custom objects). */
  readonly trainingConfig?: unknown;
}

const unsupported = (message: string, cause?: unknown): MvError =>
  new MvError('FORMAT_UNSUPPORTED', message, { offset: 0 }, cause === undefined ? undefined : { cause });

/**
 * Reads the root attributes `model_config` and `training_config` of a Keras HDF5 file with jsfive
 * and parses them as JSON. Attributes that are absent are left out. Any failure of the HDF5 reader
 * (it throws strings, TypeErrors, RangeErrors on hostile input) becomes FORMAT_UNSUPPORTED, as does
 * an attribute that is not a JSON string: an HDF5 file we cannot read never looks clean.
 */
export function readKerasH5Config(bytes: Uint8Array): KerasH5Config {
  if (!startsWith(bytes, HDF5_MAGIC)) throw unsupported('not an HDF5 file (no superblock signature at 0)');
  let attrs: Record<string, unknown>;
  try {
    const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
      ? bytes.buffer
      : bytes.slice().buffer;
    attrs = new (loadJsfive().File)(buffer, 'model.h5').attrs;
  } catch (e) {
    throw unsupported(`HDF5 file cannot be read: ${describe(e)}`, e);
  }
  return {
    ...readJsonAttr(attrs, 'model_config', 'modelConfig'),
    ...readJsonAttr(attrs, 'training_config', 'trainingConfig'),
  };
}

function readJsonAttr(attrs: Record<string, unknown>, name: string, key: keyof KerasH5Config): KerasH5Config {
  let v: unknown;
  try {
    if (!Object.hasOwn(attrs, name)) return {};
    v = attrs[name];
  } catch (e) {
    throw unsupported(`HDF5 attribute ${name} cannot be read: ${describe(e)}`, e);
  }
  if (Array.isArray(v) && v.length === 1) v = v[0];
  if (v instanceof Uint8Array) v = new TextDecoder('utf-8', { fatal: false }).decode(v);
  if (typeof v !== 'string') throw unsupported(`HDF5 attribute ${name} is not a string`);
  try {
    return { [key]: JSON.parse(v) as unknown };
  } catch (e) {
    throw unsupported(`HDF5 attribute ${name} is not valid JSON`, e);
  }
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 200);
