import { MvError } from '../core/index.js';

/**
 * BYTES tensors of the binary extension (../shared/spec/serving.md §1.6): each element is a u32 LE length
 * and that many bytes; the elements must cover the tensor exactly and be UTF-8 text.
 */
export function decodeBytesElements(inp: { readonly name: string }, blob: Uint8Array, count: number): string[] {
  const bad = (message: string): MvError => new MvError('INPUT_INVALID', message);
  const out: string[] = [];
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: true });
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 4 > blob.length) throw bad(`input ${inp.name}: BYTES element ${i} is truncated`);
    const n = dv.getUint32(p, true);
    p += 4;
    if (p + n > blob.length) throw bad(`input ${inp.name}: BYTES element ${i} runs past the tensor`);
    try {
      out.push(dec.decode(blob.subarray(p, p + n)));
    } catch {
      throw bad(`input ${inp.name}: BYTES element ${i} is not UTF-8 text`);
    }
    p += n;
  }
  if (p !== blob.length) throw bad(`input ${inp.name}: ${blob.length - p} bytes after the last BYTES element`);
  return out;
}
