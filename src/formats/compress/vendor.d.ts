// Minimal typings for the untyped decompression packages we use (only the functions we call).
declare module 'lz4js/xxh32.js' {
  const xxh32: { hash(seed: number, src: Uint8Array, index: number, length: number): number };
  export = xxh32;
}

declare module 'seek-bzip' {
  interface InStream { readByte(): number; read(buf: Uint8Array, off: number, length: number): number; eof(): boolean }
  interface OutStream { writeByte(b: number): void }
  const Bunzip: { decode(input: InStream, output: OutStream, multistream?: boolean): void };
  export = Bunzip;
}

declare module 'lzma-native' {
  import type { Duplex } from 'node:stream';
  const lzma: {
    createStream(coder: 'streamDecoder' | 'aloneDecoder', options: { memlimit?: number; flags?: number; synchronous?: boolean }): Duplex & { totalIn(): number };
  };
  export = lzma;
}
