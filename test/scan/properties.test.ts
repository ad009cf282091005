import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/core/index.js';
import { scanSource } from '../../src/scan/index.js';

const CORPUS = new URL('../../../shared/corpora/picklescan/', import.meta.url);
const MALICIOUS = ['data/malicious1_v4.pkl', 'data/malicious2_v0.pkl', 'data/malicious12.pkl', 'data/malicious1.zip',
  'data2/GHSA-vvpj-8cmc-gx39.pkl', 'data2/dns_exfiltration.npy', 'data/malicious11.pkl', 'data2/malicious23.pkl'].map((p) => ({ p, bytes: readFileSync(new URL(p, CORPUS)) }));

describe('scanner properties', () => {
  it('never throws and always returns a verdict for arbitrary bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (b) => {
      const r = await scanSource(bytesSource(b), 'x');
      expect(['clean', 'blocked']).toContain(r.status);
      if (r.status === 'clean') expect(r.errors).toEqual([]);
    }), { numRuns: 400, seed: 20261201 });
  });

  it('mutating bytes of a malicious file never makes it clean', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...MALICIOUS),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      async ({ p, bytes }, edits) => {
        const b = Uint8Array.from(bytes);
        for (const [i, v] of edits) b[i % b.length] = v;
        const r = await scanSource(bytesSource(b), p);
        expect(r.status, `${p} ${JSON.stringify(edits)}`).toBe('blocked');
      }), { numRuns: 600, seed: 4242 });
  });

  it('finds a payload in front of any truncation point (scan up to the break)', async () => {
    const evil = readFileSync(new URL('data/malicious1_v4.pkl', CORPUS));
    // Every prefix that still contains the STACK_GLOBAL (0x93) of builtins.eval is blocked, inside its FRAME too.
    const globalEnd = evil.indexOf(0x93) + 1;
    for (let n = globalEnd; n < evil.length; n++) {
      const r = await scanSource(bytesSource(evil.subarray(0, n)), 'cut.pkl');
      expect(r.class, `prefix ${n}`).toBe('malicious');
      expect(r.errors.length, `prefix ${n}`).toBeGreaterThan(0);
    }
  });
});

describe('sniffing regressions', () => {
  // A header padded to 128, 384, 640 … bytes makes the length prefix start 80 00/01/02 (PROTO 0/1/2).
  it('a safetensors file whose header length looks like PROTO is safetensors, not a pickle', async () => {
    for (const n of [128, 384, 640, 896, 1152, 1408]) {
      const json = Buffer.from(JSON.stringify({ __metadata__: { note: 'x' } }).padEnd(n, ' '));
      const b = Buffer.alloc(8 + n);
      b.writeBigUInt64LE(BigInt(n));
      json.copy(b, 8);
      const r = await scanSource(bytesSource(b), `h${n}.safetensors`);
      expect({ n, format: r.format, status: r.status }).toEqual({ n, format: 'safetensors', status: 'clean' });
    }
  });
});
