import { describe, expect, it } from 'vitest';
import {
  CompactRange, EMPTY_ROOT, consistencyProof, hashChildren, hashLeaf, inclusionProof, rootAt, rootFromLeafHashes,
  verifyConsistency, verifyInclusion,
} from '../../src/audit/index.js';
import { hex, memoryTree, unhex } from './tree-helper.js';
import { code } from '../support/codes.js';

// ../shared/spec/signing.md §5.3: the CT reference suite (certificate-transparency-go merkle tests).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const H = {
  a: '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  b: '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
  c: '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  d: 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  e: 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  f: 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  g: '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
};

describe('RFC 6962 roots (CT vectors)', () => {
  const tree = memoryTree(LEAVES);
  it.each(ROOTS.map((r, n) => [n, r] as const))('MTH of the first %i leaves', (n, root) => {
    expect(hex(rootFromLeafHashes(tree.leafHashes.slice(0, n)))).toBe(root);
    expect(hex(rootAt(n, tree.getNode))).toBe(root);
    const c = new CompactRange();
    for (const h of tree.leafHashes.slice(0, n)) c.append(h);
    expect(hex(c.root())).toBe(root);
    expect(c.size).toBe(n);
    // restore from the frontier alone
    expect(hex(CompactRange.fromFrontier(n, c.frontier()).root())).toBe(root);
  });

  it('uses the 0x00/0x01 domain separation', () => {
    expect(hex(EMPTY_ROOT)).toBe(ROOTS[0]);
    expect(hex(hashLeaf(new Uint8Array()))).toBe(ROOTS[1]);
    expect(hex(hashChildren(hashLeaf(LEAVES[0]!), hashLeaf(LEAVES[1]!)))).toBe(ROOTS[2]);
  });
});

describe('RFC 6962 proofs (CT vectors, n = 8)', () => {
  const tree = memoryTree(LEAVES);
  const root8 = unhex(ROOTS[8]!);
  const cases: [string, Uint8Array[], string[]][] = [
    ['inclusion(0)', inclusionProof(0, 8, tree.getNode), [H.a, H.b, H.c]],
    ['inclusion(5)', inclusionProof(5, 8, tree.getNode), [H.d, H.e, H.f]],
    ['consistency(1, 8)', consistencyProof(1, 8, tree.getNode), [H.a, H.b, H.c]],
    ['consistency(6, 8)', consistencyProof(6, 8, tree.getNode), [H.g, H.e, H.f]],
    ['consistency(2, 5)', consistencyProof(2, 5, tree.getNode), [H.b, H.d]],
    ['consistency(4, 8)', consistencyProof(4, 8, tree.getNode), [H.c]],
  ];
  it.each(cases)('%s', (_name, got, want) => {
    expect(got.map(hex)).toEqual(want);
  });

  it('the vectors verify', () => {
    verifyInclusion(tree.leafHashes[0]!, 0, 8, [H.a, H.b, H.c].map(unhex), root8);
    verifyInclusion(tree.leafHashes[5]!, 5, 8, [H.d, H.e, H.f].map(unhex), root8);
    verifyConsistency(1, 8, [H.a, H.b, H.c].map(unhex), unhex(ROOTS[1]!), root8);
    verifyConsistency(6, 8, [H.g, H.e, H.f].map(unhex), unhex(ROOTS[6]!), root8);
    verifyConsistency(2, 5, [H.b, H.d].map(unhex), unhex(ROOTS[2]!), unhex(ROOTS[5]!));
    verifyConsistency(4, 8, [H.c].map(unhex), unhex(ROOTS[4]!), root8); // power of two: rootM is prepended
  });

  it('empty and equal sizes', () => {
    expect(consistencyProof(0, 8, tree.getNode)).toEqual([]);
    expect(consistencyProof(8, 8, tree.getNode)).toEqual([]);
    expect(inclusionProof(0, 1, tree.getNode)).toEqual([]);
    verifyConsistency(0, 8, [], EMPTY_ROOT, root8);
    verifyConsistency(8, 8, [], root8, root8);
    verifyInclusion(tree.leafHashes[0]!, 0, 1, [], unhex(ROOTS[1]!));
  });
});

describe('proof edge cases', () => {
  const tree = memoryTree(LEAVES);
  const root8 = unhex(ROOTS[8]!);
  const p0 = [H.a, H.b, H.c].map(unhex);
  it('rejects out-of-range requests and inputs with stable codes', () => {
    expect(code(() => inclusionProof(8, 8, tree.getNode))).toBe('AUDIT_RANGE_INVALID');
    expect(code(() => inclusionProof(-1, 8, tree.getNode))).toBe('AUDIT_RANGE_INVALID');
    expect(code(() => inclusionProof(0.5, 8, tree.getNode))).toBe('AUDIT_RANGE_INVALID');
    expect(code(() => consistencyProof(9, 8, tree.getNode))).toBe('AUDIT_RANGE_INVALID');
    expect(code(() => verifyInclusion(tree.leafHashes[0]!, 8, 8, p0, root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyInclusion(tree.leafHashes[0]!, -1n, 8, p0, root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyInclusion(tree.leafHashes[0]!, 0, 2n ** 64n, p0, root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyInclusion(tree.leafHashes[0]!, '01', 8, p0, root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyInclusion(tree.leafHashes[0]!, 0, 8, [...p0, p0[0]!], root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyInclusion(tree.leafHashes[0]!, 0, 8, p0.slice(0, 2), root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyInclusion(tree.leafHashes[0]!, 0, 8, [new Uint8Array(31), ...p0.slice(1)], root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyInclusion(tree.leafHashes[0]!, 0, 8, Array(70).fill(p0[0]), root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyConsistency(9, 8, [], root8, root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyConsistency(8, 8, [], unhex(ROOTS[7]!), root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyConsistency(8, 8, p0, root8, root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyConsistency(0, 8, p0, EMPTY_ROOT, root8))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyConsistency(1, 8, [], unhex(ROOTS[1]!), root8))).toBe('AUDIT_PROOF_INVALID');
  });

  it('verifies a proof at the far end of a 2^63-leaf tree with bigint arithmetic', () => {
    // A right-most leaf of a tree of size 2^63 + 1 has a one-element path: MTH(D[0:2^63]).
    const left = unhex(H.a);
    const leaf = hashLeaf(new Uint8Array([1]));
    const root = hashChildren(left, leaf);
    verifyInclusion(leaf, 2n ** 63n, 2n ** 63n + 1n, [left], root);
    expect(code(() => verifyInclusion(leaf, 2n ** 63n, 2n ** 63n + 2n, [left], root))).toBe('AUDIT_PROOF_INVALID');
  });
});

describe('exhaustive generate/verify for n <= 70', () => {
  const N = 70;
  const leaves = Array.from({ length: N }, (_, i) => new TextEncoder().encode(`leaf ${i}`));
  const tree = memoryTree(leaves);
  const roots = Array.from({ length: N + 1 }, (_, n) => rootFromLeafHashes(tree.leafHashes.slice(0, n)));
  const wrong = hashLeaf(new TextEncoder().encode('not a leaf'));

  it('all inclusion proofs verify; wrong leaf, wrong index or wrong root fails', () => {
    let proofs = 0;
    for (let n = 1; n <= N; n++) {
      expect(rootAt(n, tree.getNode)).toEqual(roots[n]);
      for (let i = 0; i < n; i++) {
        const before = tree.lookups();
        const p = inclusionProof(i, n, tree.getNode);
        // O(log n) node lookups: at most 2·⌈log2 n⌉ + 1
        expect(tree.lookups() - before).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)) + 1);
        verifyInclusion(tree.leafHashes[i]!, i, n, p, roots[n]!);
        expect(code(() => verifyInclusion(wrong, i, n, p, roots[n]!))).toBe('AUDIT_PROOF_INVALID');
        expect(code(() => verifyInclusion(tree.leafHashes[i]!, i, n, p, roots[n - 1]!))).toBe('AUDIT_PROOF_INVALID');
        if (n > 1) expect(code(() => verifyInclusion(tree.leafHashes[i]!, (i + 1) % n, n, p, roots[n]!))).toBe('AUDIT_PROOF_INVALID');
        proofs++;
      }
    }
    expect(proofs).toBe((N * (N + 1)) / 2);
  });

  it('all consistency proofs verify; wrong old root or wrong new root fails', () => {
    let proofs = 0;
    for (let n = 1; n <= N; n++) {
      for (let m = 0; m <= n; m++) {
        const before = tree.lookups();
        const p = consistencyProof(m, n, tree.getNode);
        expect(tree.lookups() - before).toBeLessThanOrEqual(3 * Math.ceil(Math.log2(n)) + 2);
        verifyConsistency(m, n, p, roots[m]!, roots[n]!);
        if (m > 0) {
          // m = 0: the empty tree is consistent with everything, so only the new root could be wrong (it is not checked)
          expect(code(() => verifyConsistency(m, n, p, wrong, roots[n]!))).toBe('AUDIT_PROOF_INVALID');
          expect(code(() => verifyConsistency(m, n, p, roots[m]!, wrong))).toBe('AUDIT_PROOF_INVALID');
        }
        proofs++;
      }
    }
    expect(proofs).toBe(N + (N * (N + 1)) / 2);
  });
});
