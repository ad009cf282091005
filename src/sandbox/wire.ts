import { MvError } from '../core/index.js';

/**
 * The binary channel between the pool and an artifact worker (a pipe on fd 4 beside Node's IPC
 * channel). Node's `serialization: 'advanced'` IPC builds a v8 Serializer per message and frames it
 * in JS: ≈ 33 µs of parent CPU per round trip on this class of machine, against ≈ 16 µs for a plain
 * pipe — and with one worker batch per ~25 single-row requests, the IPC is a visible share of every
 * request. A message here is its JSON with every typed array taken out as a raw little-endian blob:
 *
 *   u32 frame length (after these 4 bytes) · u32 JSON length · JSON · blobs, each at an 8-aligned offset
 *
 * A blob is referenced from the JSON as {"$blob": index, "type": "F64" | …}. Only plain JSON values
 * and typed arrays travel (what protocol.ts describes); NaN and ±Infinity inside typed arrays survive,
 * while a plain number array must not hold them (JSON would turn them into null).
 */

const TYPES = {
  F64: Float64Array, F32: Float32Array, I32: Int32Array, U32: Uint32Array, I16: Int16Array, U16: Uint16Array,
  I8: Int8Array, U8: Uint8Array, I64: BigInt64Array, U64: BigUint64Array,
} as const;
type BlobType = keyof typeof TYPES;
type Typed = InstanceType<(typeof TYPES)[BlobType]>;

/** Largest frame either side accepts (the length prefix is a u32). */
export const MAX_FRAME_BYTES = 0xffff_ffff;

/** Largest frame the pool accepts from a worker: one batch's outputs (far above 4096 rows of any model). */
export const MAX_RESULT_FRAME_BYTES = 256 * 1024 * 1024;

const TYPE_NAMES = Object.keys(TYPES) as BlobType[];
/** The blob type of a typed array (a Buffer is a U8); undefined for DataView and Uint8ClampedArray. */
const typeOf = (v: object): BlobType | undefined => TYPE_NAMES.find((k) => v instanceof TYPES[k]);

// not `(n + 7) & ~7`: frames may pass 2 GiB, where 32-bit bit operations wrap
const pad8 = (n: number): number => n + ((8 - (n % 8)) % 8);

/** Encodes one message as a frame (one Buffer, ready for a single write). */
export function encodeFrame(message: unknown): Buffer {
  const blobs: Typed[] = [];
  // The replacer looks at the holder's own value: JSON.stringify has already applied Buffer#toJSON to `v`.
  const json = JSON.stringify(message, function (this: Record<string, unknown>, k: string, value: unknown) {
    const v = k === '' ? value : this[k];
    if (v !== null && typeof v === 'object') {
      if (ArrayBuffer.isView(v)) {
        const type = typeOf(v);
        if (!type) throw new MvError('INTERNAL', 'unsupported typed array in a worker message');
        blobs.push(v as Typed);
        return { $blob: blobs.length - 1, type, bytes: v.byteLength };
      }
      if (Object.hasOwn(v, '$blob')) throw new MvError('INTERNAL', 'a worker message object has a "$blob" key');
    }
    return value;
  });
  const head = Buffer.from(json, 'utf8');
  let size = 8 + head.length;
  const offsets: number[] = [];
  for (const b of blobs) {
    size = pad8(size);
    offsets.push(size);
    size += b.byteLength;
  }
  if (size - 4 > MAX_FRAME_BYTES) throw new MvError('SANDBOX_UNAVAILABLE', `a worker message of ${size} bytes exceeds the channel's ${MAX_FRAME_BYTES}-byte frame limit`);
  const out = Buffer.alloc(size); // zeroed: the alignment padding is never uninitialised memory
  out.writeUInt32LE(size - 4, 0);
  out.writeUInt32LE(head.length, 4);
  head.copy(out, 8);
  blobs.forEach((b, i) => out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), offsets[i]!));
  return out;
}

const bad = (msg: string, offset: number): MvError => new MvError('SANDBOX_UNAVAILABLE', `malformed worker message: ${msg}`, { offset });

/**
 * Decodes one frame (its bytes after the u32 length). Blobs become fresh, aligned typed arrays; a
 * reference out of order, of an unknown type, of a length that is not a whole number of elements or
 * past the end of the frame, or bytes left over, is an error (the peer is then treated as crashed).
 */
export function decodeFrame(body: Uint8Array): unknown {
  if (body.length < 4) throw bad('frame shorter than its header', 0);
  const jsonLength = new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true);
  if (jsonLength > body.length - 4) throw bad(`JSON length ${jsonLength} runs past the ${body.length}-byte frame`, 4);
  // Offsets are relative to the frame start, 4 bytes before `body`: blob k starts at the next
  // 8-aligned offset after blob k-1 (or after the JSON).
  let end = 8 + jsonLength;
  let next = 0;
  const revive = (_k: string, v: unknown): unknown => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !('$blob' in v)) return v;
    const { $blob, type, bytes } = v as { $blob: unknown; type: unknown; bytes: unknown };
    if ($blob !== next || typeof type !== 'string' || !Object.hasOwn(TYPES, type)) throw bad('blob reference out of order or of an unknown type', end);
    const T = TYPES[type as BlobType];
    if (!Number.isSafeInteger(bytes) || (bytes as number) < 0 || (bytes as number) % T.BYTES_PER_ELEMENT !== 0) throw bad(`blob ${next} has a bad length`, end);
    const start = pad8(end);
    if (start - 4 + (bytes as number) > body.length) throw bad(`blob ${next} runs past the end of the frame`, start);
    const arr = new T((bytes as number) / T.BYTES_PER_ELEMENT);
    new Uint8Array(arr.buffer).set(body.subarray(start - 4, start - 4 + (bytes as number)));
    end = start + (bytes as number);
    next++;
    return arr;
  };
  let message: unknown;
  try {
    message = JSON.parse(Buffer.from(body.buffer, body.byteOffset + 4, jsonLength).toString('utf8'), revive);
  } catch (e) {
    if (e instanceof MvError) throw e;
    throw bad('JSON does not parse', 4);
  }
  if (end - 4 !== body.length) throw bad(`${body.length - (end - 4)} bytes after the last blob`, end);
  return message;
}

/**
 * Reassembles frames from a byte stream (pipe reads split and merge frames arbitrarily). Complete
 * frames are decoded in order; a frame header announcing more than `maxFrame` bytes is an error.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  constructor(private readonly maxFrame = MAX_FRAME_BYTES) {}

  /** Adds bytes; returns every message completed by them. */
  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.buffered < 4) return out;
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.take(4, false);
      const length = head.readUInt32LE(0);
      if (length > this.maxFrame) throw bad(`frame of ${length} bytes exceeds the ${this.maxFrame}-byte limit`, 0);
      if (this.buffered < 4 + length) return out;
      const frame = this.take(4 + length, true);
      out.push(decodeFrame(frame.subarray(4)));
    }
  }

  /** The first n buffered bytes (removed when `consume`), copied only when they span chunks. */
  private take(n: number, consume: boolean): Buffer {
    const first = this.chunks[0]!;
    let bytes: Buffer;
    if (first.length >= n) bytes = first.subarray(0, n);
    else {
      bytes = Buffer.allocUnsafe(n);
      let o = 0;
      for (const c of this.chunks) {
        const k = Math.min(c.length, n - o);
        c.copy(bytes, o, 0, k);
        o += k;
        if (o === n) break;
      }
    }
    if (consume) {
      let left = n;
      while (left > 0) {
        const c = this.chunks[0]!;
        if (c.length <= left) {
          left -= c.length;
          this.chunks.shift();
        } else {
          this.chunks[0] = c.subarray(left);
          left = 0;
        }
      }
      this.buffered -= n;
    }
    return bytes;
  }
}
