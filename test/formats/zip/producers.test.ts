import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, bytesSource } from '../../../src/core/index.js';
import { checkZipCrc, readZip, readZipMember } from '../../../src/formats/zip/index.js';
import { expectCode } from './expect-code.js';

const FIX = new URL('../../fixtures/zip/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', FIX), 'utf8')) as Record<string, {
  name: string; method: number; compressedSize: number; uncompressedSize: number; crc32: number; localOffset: number; flags: number;
}[]>;

describe('readZip agrees with Python zipfile on producer-written archives', () => {
  it.each(Object.keys(expected))('%s', (f) => {
    const src = bytesSource(new Uint8Array(readFileSync(new URL(f, FIX))));
    const z = readZip(src, DEFAULT_LIMITS);
    expect(z.members.map((m) => ({ name: m.name, method: m.method, compressedSize: m.compressedSize, uncompressedSize: m.uncompressedSize, crc32: m.crc32, localOffset: m.localOffset, flags: m.flags })))
      .toEqual(expected[f]);
    for (const m of z.members) {
      if (m.method === 12) {
        expectCode(() => readZipMember(src, m, DEFAULT_LIMITS), 'ZIP_UNSUPPORTED_METHOD', m.centralOffset + 10);
        continue;
      }
      const data = readZipMember(src, m, DEFAULT_LIMITS);
      expect(data.length).toBe(m.uncompressedSize);
      expect(checkZipCrc(m, data)).toBeUndefined();
      // Only zip64 local headers differ (zipfile writes 0xFFFFFFFF sizes + a ZIP64 extra locally): no anomaly expected.
      expect(m.anomalies).toEqual([]);
    }
  });

  it('python_zip64.zip is a ZIP64 member (sizes from the extra field) in a classic archive', () => {
    const z = readZip(bytesSource(new Uint8Array(readFileSync(new URL('python_zip64.zip', FIX)))), DEFAULT_LIMITS);
    expect(z.members[0]!.uncompressedSize).toBe(500);
  });
});
