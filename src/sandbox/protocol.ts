import type { Method } from '../runtime/index.js';

/** A batch of rows as plain transferable data: row-major numbers plus optional text columns. */
export interface WireFrame {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  readonly text?: readonly (readonly (string | null)[] | undefined)[];
}

export type ToWorker =
  | { readonly t: 'load'; readonly id: number; readonly key: string; readonly bytes: Uint8Array }
  | { readonly t: 'unload'; readonly key: string }
  | { readonly t: 'predict'; readonly id: number; readonly key: string; readonly method: Method; readonly frame: WireFrame };

export type FromWorker =
  | { readonly t: 'ready' }
  | { readonly t: 'loaded'; readonly id: number; readonly info: unknown }
  | { readonly t: 'result'; readonly id: number; readonly shape: readonly number[]; readonly data: Float64Array | readonly (string | number | boolean)[] }
  | { readonly t: 'error'; readonly id: number; readonly code: string; readonly message: string };
