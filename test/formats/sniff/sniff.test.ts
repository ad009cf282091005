import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sniff, SNIFF_HEAD_BYTES, SNIFF_RULES, SNIFF_TAIL_BYTES, type SniffKind, type Sniffed } from '../../../src/formats/sniff/index.js';
import { buildZip } from '../zip/build-zip.js';

const sniffBytes = (b: Uint8Array): Sniffed => sniff(b.subarray(0, SNIFF_HEAD_BYTES), b.subarray(Math.max(0, b.length - SNIFF_TAIL_BYTES)), b.length);
const file = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const CORPUS = '/work/shared/corpora/picklescan';
const FIX = new URL('../../fixtures/', import.meta.url).pathname;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('sniff on real files', () => {
  const sniffFix = JSON.parse(readFileSync(`${FIX}sniff/expected.json`, 'utf8')) as Record<string, SniffKind>;
  it.each(Object.entries(sniffFix))('%s → %s', (f, kind) => {
    expect(sniffBytes(file(`${FIX}sniff/${f}`)).kind).toBe(kind);
  });

  it.each([
    ['object.joblib', 'pickle'], ['object.joblib.z', 'zlib'], ['object.joblib.gz', 'gzip'], ['object.joblib.bz2', 'bz2'],
    ['object.joblib.xz', 'xz'], ['object.joblib.lzma', 'lzma'], ['object.joblib.lz4', 'lz4'], ['object.zf', 'joblib-zf'],
  ] as const)('compress/%s → %s', (f, kind) => expect(sniffBytes(file(`${FIX}compress/${f}`)).kind).toBe(kind));

  it('every hdf5 fixture → hdf5, every onnx fixture → onnx, every tar fixture → tar', () => {
    for (const [dir, ext, kind] of [['hdf5', '.h5', 'hdf5'], ['onnx', '.onnx', 'onnx'], ['tar', '.tar', 'tar']] as const) {
      const files = readdirSync(`${FIX}${dir}`).filter((n) => n.endsWith(ext));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(sniffBytes(file(`${FIX}${dir}/${f}`)).kind, f).toBe(kind);
    }
  });

  it('every npy fixture → npy', () => {
    for (const f of readdirSync(`${FIX}npy`).filter((n) => n.endsWith('.npy'))) expect(sniffBytes(file(`${FIX}npy/${f}`)).kind).toBe('npy');
  });

  const CORPUS_KINDS: Record<string, SniffKind> = {
    'data/bad_pytorch.pt': 'png',
    'data/malicious1.7z': '7z',
    'data/pytorch_model.bin': 'torch-legacy',
    'data/new_pytorch_model.bin': 'zip',
    'data/not_a_pickle.bin': 'pickle-text',
    'data/malicious0.pkl': 'pickle-text',
    'data/benign0_v3.pkl': 'pickle',
    'data2/dns_exfiltration.npy': 'npy',
    'data2/object_arrays.npz': 'zip',
  };
  it.each(Object.entries(CORPUS_KINDS))('corpus %s → %s', (f, kind) => expect(sniffBytes(file(`${CORPUS}/${f}`)).kind).toBe(kind));

  it('every corpus pickle sniffs as a pickle kind, every zip as zip', () => {
    for (const dir of ['data', 'data2']) {
      for (const f of readdirSync(`${CORPUS}/${dir}`)) {
        const k = sniffBytes(file(`${CORPUS}/${dir}/${f}`)).kind;
        if (/\.(pkl|pickle)$/.test(f)) expect(['pickle', 'pickle-text'], f).toContain(k);
        if (/\.(zip|npz)$/.test(f)) expect(k, f).toBe('zip');
      }
    }
  });
});

describe('sniff rules on synthetic heads', () => {
  const pad = (b: number[] | Uint8Array, n = 600): Uint8Array => { const o = new Uint8Array(Math.max(n, b.length)); o.set(b); return o; };
  it.each([
    [[0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01, 0x00], 'rar'],
    [[0x28, 0xb5, 0x2f, 0xfd, 0, 0], 'zstd'],
    [[0x50, 0x4b, 0x05, 0x06], 'zip'],
    [[...enc('tree\nversion=v4\n')], 'lightgbm'],
    [[...enc('\n  {"learner": {}}')], 'xgboost-json'],
    [[...enc('[1, 2]')], 'json'],
    [[0x89, ...enc('HDF\r\n'), 0x1a, 0x0a], 'hdf5'],
    [[0x7f, ...enc('ELF')], 'other'],
    [[0x08, 0x07, 0x12, 0x04, ...enc('test')], 'onnx'],
    [[0x08, 0x07, 0x99], 'unknown'],
    [[0x80, 0x05, 0x95], 'pickle'],
    [[0x80, 0x04, 0x95, 0x3a, 0, 0, 0, 0, 0, 0, 0, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e], 'torch-legacy'],
    [[0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x18], 'pickle'],
    [[0x80, 0x06], 'unknown'],
    [[0x8c, 0x02, ...enc('os')], 'pickle-text'],
    [[0x00, 0x01, 0x02], 'unknown'],
  ] as const)('%j → %s', (b, kind) => expect(sniffBytes(pad([...b])).kind).toBe(kind));

  it('tar needs ustar at 257', () => {
    const b = pad([]);
    b.set(enc('ustar'), 257);
    expect(sniffBytes(b).kind).toBe('tar');
    expect(sniffBytes(b.subarray(0, 260)).kind).toBe('unknown');
  });

  it('empty input', () => expect(sniff(new Uint8Array(), new Uint8Array(), 0)).toEqual({ kind: 'unknown', detail: 'empty input' }));

  it('a zip found only by its end record names what its prefix looks like', () => {
    const zip = buildZip([{ name: 'x', data: enc('hi') }], { prefix: new Uint8Array([0x80, 0x02, 0x4b, 0x01, 0x2e]) });
    expect(sniffBytes(zip)).toEqual({ kind: 'zip', detail: 'found by its end record', alternatives: ['pickle'] });
  });

  it('a safetensors whose length byte is a pickle opcode also offers pickle-text', () => {
    const h = enc(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`.padEnd(0x28 + 0x100, ' '));
    const b = new Uint8Array(8 + h.length + 1);
    new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
    b.set(h, 8);
    expect(b[0]).toBe(0x28);
    expect(sniffBytes(b)).toMatchObject({ kind: 'safetensors', alternatives: ['pickle-text'] });
  });

  it('safetensors length must fit in the file', () => {
    const b = new Uint8Array(20);
    new DataView(b.buffer).setBigUint64(0, 1000n, true);
    b[8] = 0x7b;
    expect(sniffBytes(b).kind).not.toBe('safetensors');
  });

  it('a random tail with a stray end-record signature is not a zip unless it is plausible', () => {
    const b = new Uint8Array(200);
    b.set([0x50, 0x4b, 0x05, 0x06], 150);
    new DataView(b.buffer).setUint32(150 + 16, 5000, true);
    expect(sniffBytes(b).kind).toBe('unknown');
  });

  it('docs/containers.md lists every rule, in order', () => {
    const doc = readFileSync(new URL('../../../docs/containers.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (\d+) \| `([a-z0-9-]+)` \| (.*) \|$/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(rows).toEqual(SNIFF_RULES.map((r, i) => [i + 1, r.kind]));
  });

  it('every rule has a doc and the kinds are unique', () => {
    expect(new Set(SNIFF_RULES.map((r) => r.kind)).size).toBe(SNIFF_RULES.length);
    for (const r of SNIFF_RULES) expect(r.doc.length).toBeGreaterThan(5);
  });
});

describe('properties', () => {
  it('never throws and always returns a known kind', () => {
    const kinds = new Set([...SNIFF_RULES.map((r) => r.kind), 'unknown']);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), fc.uint8Array({ maxLength: 200 }), (h, t) => {
      expect(kinds.has(sniff(h, t, h.length + t.length).kind)).toBe(true);
      expect(kinds.has(sniffBytes(new Uint8Array([...h, ...t])).kind)).toBe(true);
    }), { numRuns: 1000 });
  });
  it('is bounded: a 64 KiB tail full of PK\\x05\\x06 is sniffed quickly', () => {
    const tail = new Uint8Array(SNIFF_TAIL_BYTES);
    for (let i = 0; i < tail.length; i += 4) tail.set([0x50, 0x4b, 0x05, 0x06], i);
    const t = performance.now();
    sniff(new Uint8Array(512), tail, 1 << 30);
    expect(performance.now() - t).toBeLessThan(200);
  });
});
