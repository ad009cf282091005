// Minimal typings for jsfive 0.4 (pure-JS HDF5 reader; only what we call).
declare module 'jsfive' {
  export class File {
    constructor(buffer: ArrayBuffer, filename?: string);
    readonly attrs: Record<string, unknown>;
  }
}
