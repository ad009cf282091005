// Tiny byte builders for hand-written pickle streams (threats.md recipe notation).
export type Part = number | string | Uint8Array | readonly number[];

/** Concatenates bytes: numbers are single bytes, strings are Latin-1 characters. */
export function P(...parts: Part[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += typeof p === 'number' ? 1 : p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    if (typeof p === 'number') out[o++] = p;
    else if (typeof p === 'string') for (let i = 0; i < p.length; i++) out[o++] = p.charCodeAt(i) & 0xff;
    else { out.set(p, o); o += p.length; }
  }
  return out;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
export const u64 = (n: number | bigint): number[] => {
  const v = BigInt(n);
  return Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
};
/** SHORT_BINUNICODE */
export const sbu = (s: string): Uint8Array => { const b = utf8(s); return P(0x8c, b.length, b); };
/** PROTO 4, STACK_GLOBAL mod.name, args, REDUCE, STOP */
export const R = (mod: string, name: string, ...args: Part[]): Uint8Array => P(0x80, 4, sbu(mod), sbu(name), 0x93, ...args, 0x52, 0x2e);
