/**
 * RFC 6962 / RFC 9162 Merkle Tree Hash over SHA-256: leaf and node hashing, roots, and an incremental
 * compact range. https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1
 *
 * Sizes and indices here are trusted (they come from our own store). Attacker-controlled sizes are
 * parsed in proofs.ts / checkpoint.ts and narrowed to safe integers before they reach this file.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash, timingSafeEqual } from 'node:crypto';
import { MvError } from '../core/index.js';

/** Hash size of SHA-256 in bytes (RFC 9162 §2.1: HASH_SIZE). */
export const HASH_BYTES = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

// One-shot `crypto.hash` (Node ≥ 20.12) is about twice as fast as createHash for the small inputs of a tree.
type OneShot = (alg: string, data: Uint8Array, enc: 'buffer') => Uint8Array;
const oneShot = (nodeCrypto as unknown as { hash?: OneShot }).hash;

function sha256Prefixed(prefix: number, a: Uint8Array, b?: Uint8Array): Uint8Array {
  if (!oneShot) return b ? sha256(NODE_PREFIX, a, b) : sha256(LEAF_PREFIX, a);
  const buf = Buffer.allocUnsafe(1 + a.length + (b ? b.length : 0)); // every byte is written below
  buf[0] = prefix;
  buf.set(a, 1);
  if (b) buf.set(b, 1 + a.length);
  const d = oneShot('sha256', buf, 'buffer');
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** `MTH({}) = SHA-256()` — the root of the empty tree (RFC 9162 §2.1.1). */
export const EMPTY_ROOT: Uint8Array = sha256();

/** Leaf hash `SHA-256(0x00 ‖ d)` (RFC 9162 §2.1.1): the 0x00 prefix separates leaves from nodes. */
export const hashLeaf = (data: Uint8Array): Uint8Array => sha256Prefixed(0x00, data);

/** Interior node `SHA-256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1). */
export const hashChildren = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256Prefixed(0x01, left, right);

/** Constant-time digest comparison (sigstore-js core/crypto.ts `bufferEqual`); false on length mismatch. */
export function digestEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The largest power of two strictly less than n, for n ≥ 2 (RFC 9162 §2.1.1 split point k). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Asserts `h` is a 32-byte digest. */
export function assertHash(h: Uint8Array, what = 'hash'): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) {
    throw new MvError('AUDIT_PROOF_INVALID', `${what} must be ${HASH_BYTES} bytes`);
  }
}

/**
 * MTH of a list of leaf hashes, by the recursive definition (RFC 9162 §2.1.1). O(n) hashing; used for
 * reference and small trees. Each call level splits at the largest power of two below n.
 */
export function rootFromLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  return subRoot(leaves, 0, leaves.length);
}

function subRoot(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return leaves[start]!;
  const k = splitPoint(n);
  return hashChildren(subRoot(leaves, start, start + k), subRoot(leaves, start + k, end));
}

/**
 * Compact range [0, size): the O(log n) "frontier" of perfect subtree roots of the binary decomposition of
 * `size`, largest (leftmost) first. Appending merges equal-sized subtrees like a binary counter; the root
 * folds the frontier right to left (RFC 9162 §2.1.1; transparency-dev/merkle `compact.Range`).
 */
export class CompactRange {
  /** Perfect subtree roots, left to right; `hashes[i]` covers 2^levels[i] leaves. */
  private readonly hashes: Uint8Array[] = [];
  private readonly levels: number[] = [];
  private count = 0;

  /** Restores a range from its frontier, e.g. read back from stored nodes (see `frontierCoordinates`). */
  static fromFrontier(size: number, frontier: readonly Uint8Array[]): CompactRange {
    const coords = frontierCoordinates(size);
    if (coords.length !== frontier.length) {
      throw new MvError('AUDIT_LOG_INCONSISTENT', `frontier of size ${size} needs ${coords.length} hashes, got ${frontier.length}`);
    }
    const r = new CompactRange();
    coords.forEach((c, i) => {
      assertHash(frontier[i]!, 'frontier hash');
      r.hashes.push(frontier[i]!);
      r.levels.push(c.level);
    });
    r.count = size;
    return r;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Appends one leaf hash. Calls `onNode(level, index, hash)` for every perfect subtree this append
   * completes (level ≥ 1), so a store can persist exactly the new complete-subtree hashes.
   */
  append(leafHash: Uint8Array, onNode?: (level: number, index: number, hash: Uint8Array) => void): void {
    assertHash(leafHash, 'leaf hash');
    let h = leafHash;
    let level = 0;
    let index = this.count;
    while (this.levels.length > 0 && this.levels[this.levels.length - 1] === level) {
      const left = this.hashes.pop()!;
      this.levels.pop();
      h = hashChildren(left, h);
      level += 1;
      index = Math.floor(index / 2);
      onNode?.(level, index, h);
    }
    this.hashes.push(h);
    this.levels.push(level);
    this.count += 1;
  }

  /** The current frontier (copies), left to right. */
  frontier(): Uint8Array[] {
    return this.hashes.slice();
  }

  /** MTH(D[0:size]): fold the frontier right to left (the smallest subtree is the right-most child). */
  root(): Uint8Array {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let r = this.hashes[this.hashes.length - 1]!;
    for (let i = this.hashes.length - 2; i >= 0; i--) r = hashChildren(this.hashes[i]!, r);
    return r;
  }
}

/** A complete subtree: level l, index i covers leaves [i·2^l, (i+1)·2^l). */
export interface NodeCoord {
  readonly level: number;
  readonly index: number;
}

/**
 * Coordinates of the perfect subtrees that make up [start, end), left to right. Valid when `start` is a
 * multiple of a power of two ≥ end − start, which holds for every range the RFC 6962 recursion visits
 * (each split point k is a power of two and the right part is never larger than k).
 */
export function rangeCoordinates(start: number, end: number): NodeCoord[] {
  const out: NodeCoord[] = [];
  let pos = start;
  let rest = end - start;
  let top = 0;
  while (2 ** (top + 1) <= rest) top++;
  // Binary decomposition of the length, largest block first (tlog-tiles layout).
  for (let level = top; level >= 0 && rest > 0; level--) {
    const block = 2 ** level;
    if (rest >= block) {
      out.push({ level, index: pos / block });
      pos += block;
      rest -= block;
    }
  }
  return out;
}

/** Coordinates of the frontier of a tree of `size` leaves. */
export const frontierCoordinates = (size: number): NodeCoord[] => rangeCoordinates(0, size);

/** Folds perfect subtree hashes (left to right) into MTH of their union, right to left. */
export function foldRight(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return EMPTY_ROOT;
  let r = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) r = hashChildren(hashes[i]!, r);
  return r;
}
