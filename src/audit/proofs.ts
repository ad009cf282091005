/**
 * RFC 6962 §2.1.1–2.1.2 proof generation from stored complete-subtree hashes, and RFC 9162 §2.1.3.2 /
 * §2.1.4.2 verification. https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3
 */
import { MvError } from '../core/index.js';
import {
  HASH_BYTES, digestEqual, foldRight, hashChildren, rangeCoordinates, splitPoint,
} from './merkle.js';

/**
 * Returns the hash of the complete subtree at `level`, `index` (covering leaves [index·2^level,
 * (index+1)·2^level)); level 0 is the leaf hash. Stores implement this with one indexed lookup.
 */
export type GetNode = (level: number, index: number) => Uint8Array;

/** Upper bound on proof length: a tree of < 2^64 leaves has proofs of at most 64 (+1) hashes. */
export const MAX_PROOF_HASHES = 65;

const U64_MAX = (1n << 64n) - 1n;

/**
 * Narrows an attacker-controlled index or size (number, bigint or decimal string) to a bigint in
 * [0, 2^64), or throws `code`. Strings must be canonical ASCII decimal (no sign, no leading zeros).
 */
export function parseTreeInt(v: unknown, what: string, code: 'AUDIT_PROOF_INVALID' | 'AUDIT_RANGE_INVALID' = 'AUDIT_PROOF_INVALID'): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else if (typeof v === 'string' && /^(?:0|[1-9][0-9]{0,19})$/.test(v)) b = BigInt(v);
  else throw new MvError(code, `${what} is not a non-negative integer`);
  if (b < 0n || b > U64_MAX) throw new MvError(code, `${what} is out of range`);
  return b;
}

/** Like parseTreeInt, then narrowed to a safe JS integer (our own trees stay below 2^53 leaves). */
export function toTreeNumber(v: unknown, what: string, code: 'AUDIT_PROOF_INVALID' | 'AUDIT_RANGE_INVALID' = 'AUDIT_RANGE_INVALID'): number {
  const b = parseTreeInt(v, what, code);
  if (b > BigInt(Number.MAX_SAFE_INTEGER)) throw new MvError(code, `${what} is too large`);
  return Number(b);
}

/** MTH(D[start:end]) from stored perfect subtrees (valid for ranges the RFC recursion visits). */
export function rangeHash(start: number, end: number, getNode: GetNode): Uint8Array {
  return foldRight(rangeCoordinates(start, end).map((c) => getNode(c.level, c.index)));
}

/** The root of the first `size` leaves: fold the perfect subtrees of size's binary decomposition. */
export const rootAt = (size: number, getNode: GetNode): Uint8Array => rangeHash(0, size, getNode);

/**
 * Audit path `PATH(index, D[0:size])` (RFC 6962 §2.1.1), leaf sibling first. The recursion is unrolled:
 * each step records the sibling subtree of the side not taken; at most one of those is not a perfect
 * subtree, so this costs O(log n) node lookups.
 */
export function inclusionProof(index: number, size: number, getNode: GetNode): Uint8Array[] {
  const m0 = toTreeNumber(index, 'index');
  const n0 = toTreeNumber(size, 'size');
  if (m0 >= n0) throw new MvError('AUDIT_RANGE_INVALID', `index ${m0} is not below tree size ${n0}`);
  const outer: Uint8Array[] = [];
  let start = 0;
  let n = n0;
  let m = m0;
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      outer.push(rangeHash(start + k, start + n, getNode)); // PATH(m, D[0:k]) : MTH(D[k:n])
      n = k;
    } else {
      outer.push(rangeHash(start, start + k, getNode)); // PATH(m − k, D[k:n]) : MTH(D[0:k])
      start += k;
      m -= k;
      n -= k;
    }
  }
  return outer.reverse();
}

/**
 * Consistency proof `PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true)` (RFC 6962 §2.1.2), unrolled; empty when
 * m = 0 or m = n. O(log n) node lookups (at most two ranges are not perfect subtrees).
 */
export function consistencyProof(m: number, n: number, getNode: GetNode): Uint8Array[] {
  const m0 = toTreeNumber(m, 'old size');
  const n0 = toTreeNumber(n, 'new size');
  if (m0 > n0) throw new MvError('AUDIT_RANGE_INVALID', `old size ${m0} is larger than new size ${n0}`);
  if (m0 === 0 || m0 === n0) return [];
  const outer: Uint8Array[] = [];
  let start = 0;
  let len = n0;
  let mm = m0;
  let complete = true; // the SUBPROOF flag b: true while D[start:start+mm] is the whole old tree's left edge
  for (;;) {
    if (mm === len) {
      if (!complete) outer.push(rangeHash(start, start + len, getNode)); // SUBPROOF(m, D[m], false) = [MTH(D[m])]
      break;
    }
    const k = splitPoint(len);
    if (mm <= k) {
      outer.push(rangeHash(start + k, start + len, getNode)); // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
      len = k;
    } else {
      outer.push(rangeHash(start, start + k, getNode)); // SUBPROOF(m − k, D[k:n], false) : MTH(D[0:k])
      start += k;
      mm -= k;
      len -= k;
      complete = false;
    }
  }
  return outer.reverse();
}

function checkProofShape(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) throw new MvError('AUDIT_PROOF_INVALID', 'proof must be an array of hashes');
  if (proof.length > MAX_PROOF_HASHES) throw new MvError('AUDIT_PROOF_INVALID', `proof has ${proof.length} hashes`);
  proof.forEach((p, i) => {
    if (!(p instanceof Uint8Array) || p.length !== HASH_BYTES) {
      throw new MvError('AUDIT_PROOF_INVALID', `proof hash ${i} must be ${HASH_BYTES} bytes`, { path: [i] });
    }
  });
}

function checkDigest(h: Uint8Array, what: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) throw new MvError('AUDIT_PROOF_INVALID', `${what} must be ${HASH_BYTES} bytes`);
}

const lsb = (x: bigint): boolean => (x & 1n) === 1n;

/**
 * Verifies `proof` shows `leafHash` at `index` in the tree of `size` with `root` (RFC 9162 §2.1.3.2).
 * index and size are attacker-controlled: parsed as bigint and never trusted to bound work (the proof
 * length is capped first). Throws AUDIT_PROOF_INVALID.
 */
export function verifyInclusion(
  leafHash: Uint8Array, index: number | bigint | string, size: number | bigint | string,
  proof: readonly Uint8Array[], root: Uint8Array,
): void {
  checkDigest(leafHash, 'leaf hash');
  checkDigest(root, 'root');
  checkProofShape(proof);
  const idx = parseTreeInt(index, 'index');
  const sz = parseTreeInt(size, 'size');
  if (idx >= sz) throw new MvError('AUDIT_PROOF_INVALID', `index ${idx} is not below tree size ${sz}`); // step 1
  let fn = idx; // step 2
  let sn = sz - 1n;
  let r = leafHash; // step 3
  for (const p of proof) { // step 4
    if (sn === 0n) throw new MvError('AUDIT_PROOF_INVALID', 'inclusion proof is too long'); // 4a
    if (lsb(fn) || fn === sn) { // 4b
      r = hashChildren(p, r);
      if (!lsb(fn)) while (!lsb(fn) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1n; // 4c
    sn >>= 1n;
  }
  if (sn !== 0n) throw new MvError('AUDIT_PROOF_INVALID', 'inclusion proof is too short'); // step 5
  if (!digestEqual(r, root)) throw new MvError('AUDIT_PROOF_INVALID', 'inclusion proof does not lead to the root');
}

/**
 * Verifies `proof` shows the tree (`oldSize`, `oldRoot`) is a prefix of (`newSize`, `newRoot`)
 * (RFC 9162 §2.1.4.2). Sizes are attacker-controlled (bigint arithmetic). Throws AUDIT_PROOF_INVALID.
 */
export function verifyConsistency(
  oldSize: number | bigint | string, newSize: number | bigint | string,
  proof: readonly Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array,
): void {
  checkDigest(oldRoot, 'old root');
  checkDigest(newRoot, 'new root');
  checkProofShape(proof);
  const first = parseTreeInt(oldSize, 'old size');
  const second = parseTreeInt(newSize, 'new size');
  if (first > second) throw new MvError('AUDIT_PROOF_INVALID', `old size ${first} is larger than new size ${second}`);
  if (first === second) {
    if (proof.length !== 0) throw new MvError('AUDIT_PROOF_INVALID', 'proof between equal sizes must be empty');
    if (!digestEqual(oldRoot, newRoot)) throw new MvError('AUDIT_PROOF_INVALID', 'roots differ at equal sizes');
    return;
  }
  if (first === 0n) { // the empty tree is consistent with every tree
    if (proof.length !== 0) throw new MvError('AUDIT_PROOF_INVALID', 'proof from the empty tree must be empty');
    return;
  }
  if (proof.length === 0) throw new MvError('AUDIT_PROOF_INVALID', 'consistency proof is empty'); // step 1
  const path = isPowerOfTwoBig(first) ? [oldRoot, ...proof] : [...proof]; // step 2
  let fn = first - 1n; // step 3
  let sn = second - 1n;
  while (lsb(fn)) { fn >>= 1n; sn >>= 1n; } // step 4
  let fr = path[0]!; // step 5
  let sr = path[0]!;
  for (const c of path.slice(1)) { // step 6
    if (sn === 0n) throw new MvError('AUDIT_PROOF_INVALID', 'consistency proof is too long'); // 6a
    if (lsb(fn) || fn === sn) { // 6b
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!lsb(fn)) while (!lsb(fn) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      sr = hashChildren(sr, c);
    }
    fn >>= 1n; // 6c
    sn >>= 1n;
  }
  // step 7: both roots must be reproduced and the path must have been exactly long enough
  const ok = digestEqual(fr, oldRoot) && digestEqual(sr, newRoot) && sn === 0n;
  if (!ok) throw new MvError('AUDIT_PROOF_INVALID', 'consistency proof does not reproduce both roots');
}

const isPowerOfTwoBig = (x: bigint): boolean => x > 0n && (x & (x - 1n)) === 0n;

