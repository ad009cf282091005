/**
 * Receipts: the C2SP tlog-proof text format (https://c2sp.org/tlog-proof, `c2sp.org/tlog-proof@v1`) for
 * inclusion, and a small modelvault text format for consistency proofs between two checkpoints.
 */
import { MvError } from '../core/index.js';
import { openCheckpoint, type SignedCheckpoint } from './checkpoint.js';
import { HASH_BYTES, digestEqual, hashLeaf } from './merkle.js';
import type { NoteVerifier } from './note.js';
import { MAX_PROOF_HASHES, verifyConsistency, verifyInclusion } from './proofs.js';
import { asText, decodeBase64Strict, encodeBase64, safeDecimal } from './text.js';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
export const CONSISTENCY_HEADER = 'modelvault.dev/consistency-proof@v1';
const MAX_RECEIPT_CHARS = 4 << 20;

/** A parsed tlog-proof: optional extra data (we carry the canonical event bytes), index, path, checkpoint note. */
export interface TlogProof {
  /** Opaque, unauthenticated until it hashes to the proven leaf. modelvault puts the leaf data here. */
  readonly extra?: Uint8Array;
  readonly index: number;
  readonly proof: readonly Uint8Array[];
  /** The (cosigned) checkpoint, verbatim signed note. */
  readonly checkpoint: string;
}

function checkHashes(hashes: readonly Uint8Array[], code: 'AUDIT_RECEIPT_INVALID'): void {
  if (hashes.length > MAX_PROOF_HASHES) throw new MvError(code, 'too many proof hashes');
  for (const h of hashes) if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) throw new MvError(code, 'proof hashes must be 32 bytes');
}

/** Formats a tlog-proof receipt. */
export function formatTlogProof(p: TlogProof): string {
  if (!Number.isSafeInteger(p.index) || p.index < 0) throw new MvError('AUDIT_RECEIPT_INVALID', 'index must be a non-negative integer');
  checkHashes(p.proof, 'AUDIT_RECEIPT_INVALID');
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra !== undefined) lines.push(`extra ${encodeBase64(p.extra)}`);
  lines.push(`index ${p.index}`, ...p.proof.map(encodeBase64), '');
  return lines.join('\n') + '\n' + p.checkpoint;
}

/** Parses a tlog-proof strictly (header, optional extra, canonical index, 32-byte hashes, blank line, checkpoint). */
export function parseTlogProof(input: string | Uint8Array): TlogProof {
  if (input instanceof Uint8Array && input.length > MAX_RECEIPT_CHARS) throw new MvError('AUDIT_RECEIPT_INVALID', 'receipt is too large');
  const s = asText(input, 'AUDIT_RECEIPT_INVALID', 'receipt');
  if (s.length > MAX_RECEIPT_CHARS) throw new MvError('AUDIT_RECEIPT_INVALID', 'receipt is too large');
  let pos = 0;
  const nextLine = (): string => {
    const nl = s.indexOf('\n', pos);
    if (nl < 0) throw new MvError('AUDIT_RECEIPT_INVALID', 'receipt ends before its checkpoint');
    const line = s.slice(pos, nl);
    pos = nl + 1;
    return line;
  };
  if (nextLine() !== TLOG_PROOF_HEADER) throw new MvError('AUDIT_RECEIPT_INVALID', `first line must be ${TLOG_PROOF_HEADER}`);
  let line = nextLine();
  let extra: Uint8Array | undefined;
  if (line.startsWith('extra ')) {
    extra = decodeBase64Strict(line.slice(6), 'AUDIT_RECEIPT_INVALID', 'extra data');
    line = nextLine();
  }
  if (!line.startsWith('index ')) throw new MvError('AUDIT_RECEIPT_INVALID', 'missing index line');
  const index = safeDecimal(line.slice(6), 'AUDIT_RECEIPT_INVALID', 'index');
  const proof: Uint8Array[] = [];
  for (line = nextLine(); line !== ''; line = nextLine()) {
    if (proof.length >= MAX_PROOF_HASHES) throw new MvError('AUDIT_RECEIPT_INVALID', 'too many proof hashes');
    const h = decodeBase64Strict(line, 'AUDIT_RECEIPT_INVALID', 'proof hash');
    if (h.length !== HASH_BYTES) throw new MvError('AUDIT_RECEIPT_INVALID', 'proof hashes must be 32 bytes');
    proof.push(h);
  }
  const checkpoint = s.slice(pos);
  if (checkpoint.length === 0) throw new MvError('AUDIT_RECEIPT_INVALID', 'receipt has no checkpoint');
  return extra === undefined ? { index, proof, checkpoint } : { extra, index, proof, checkpoint };
}

/** What a verified receipt proves. */
export interface VerifiedReceipt {
  readonly index: number;
  readonly leafHash: Uint8Array;
  /** The leaf data, when the receipt carried it in `extra` (or the caller supplied it). */
  readonly data?: Uint8Array;
  readonly checkpoint: SignedCheckpoint;
}

/**
 * Verifies a receipt: the checkpoint signature (trusted keys, expected origin), then inclusion of the leaf
 * at `index`. The leaf is `hashLeaf(data)` for caller-supplied data, else `hashLeaf(extra)`; if both the
 * caller's data and extra are present they must agree.
 */
export function verifyTlogProof(
  receipt: string | Uint8Array | TlogProof,
  opts: { verifiers: readonly NoteVerifier[]; origin?: string; data?: Uint8Array; leafHash?: Uint8Array },
): VerifiedReceipt {
  const p = typeof receipt === 'string' || receipt instanceof Uint8Array ? parseTlogProof(receipt) : receipt;
  const cp = openCheckpoint(p.checkpoint, opts.verifiers, opts.origin);
  const data = opts.data ?? p.extra;
  let leafHash = opts.leafHash ?? (data ? hashLeaf(data) : undefined);
  if (!leafHash) throw new MvError('AUDIT_RECEIPT_INVALID', 'receipt carries no entry data and none was given');
  if (opts.data && p.extra && !digestEqual(hashLeaf(opts.data), hashLeaf(p.extra))) {
    throw new MvError('AUDIT_PROOF_INVALID', 'entry data differs from the receipt');
  }
  if (opts.leafHash && data && !digestEqual(opts.leafHash, hashLeaf(data))) throw new MvError('AUDIT_PROOF_INVALID', 'leaf hash differs from the entry data');
  leafHash = new Uint8Array(leafHash);
  verifyInclusion(leafHash, p.index, cp.size, p.proof, cp.root);
  return data ? { index: p.index, leafHash, data, checkpoint: cp } : { index: p.index, leafHash, checkpoint: cp };
}

/** A consistency proof between tree sizes `from` ≤ `to`. */
export interface ConsistencyProofText {
  readonly from: number;
  readonly to: number;
  readonly proof: readonly Uint8Array[];
}

/** `modelvault.dev/consistency-proof@v1\nfrom M\nto N\n<base64 hash>\n…` */
export function formatConsistencyProof(p: ConsistencyProofText): string {
  if (!Number.isSafeInteger(p.from) || !Number.isSafeInteger(p.to) || p.from < 0 || p.to < p.from) {
    throw new MvError('AUDIT_RECEIPT_INVALID', 'sizes must satisfy 0 <= from <= to');
  }
  checkHashes(p.proof, 'AUDIT_RECEIPT_INVALID');
  return [CONSISTENCY_HEADER, `from ${p.from}`, `to ${p.to}`, ...p.proof.map(encodeBase64)].join('\n') + '\n';
}

export function parseConsistencyProof(input: string | Uint8Array): ConsistencyProofText {
  const s = asText(input, 'AUDIT_RECEIPT_INVALID', 'consistency proof');
  if (s.length > 1 << 16) throw new MvError('AUDIT_RECEIPT_INVALID', 'consistency proof is too large');
  if (!s.endsWith('\n')) throw new MvError('AUDIT_RECEIPT_INVALID', 'consistency proof must end with a newline');
  const lines = s.slice(0, -1).split('\n');
  if (lines[0] !== CONSISTENCY_HEADER) throw new MvError('AUDIT_RECEIPT_INVALID', `first line must be ${CONSISTENCY_HEADER}`);
  const fromLine = lines[1] ?? '';
  const toLine = lines[2] ?? '';
  if (!fromLine.startsWith('from ') || !toLine.startsWith('to ')) throw new MvError('AUDIT_RECEIPT_INVALID', 'missing from/to lines');
  const from = safeDecimal(fromLine.slice(5), 'AUDIT_RECEIPT_INVALID', 'from');
  const to = safeDecimal(toLine.slice(3), 'AUDIT_RECEIPT_INVALID', 'to');
  if (from > to) throw new MvError('AUDIT_RECEIPT_INVALID', 'from must not exceed to');
  const hashLines = lines.slice(3);
  if (hashLines.length > MAX_PROOF_HASHES) throw new MvError('AUDIT_RECEIPT_INVALID', 'too many proof hashes');
  const proof = hashLines.map((l) => {
    const h = decodeBase64Strict(l, 'AUDIT_RECEIPT_INVALID', 'proof hash');
    if (h.length !== HASH_BYTES) throw new MvError('AUDIT_RECEIPT_INVALID', 'proof hashes must be 32 bytes');
    return h;
  });
  return { from, to, proof };
}

/**
 * Verifies that the signed checkpoint `oldNote` is a prefix of `newNote` (both signed by trusted keys, same
 * origin) using a consistency proof; refuses a smaller new tree (rollback).
 */
export function verifyCheckpointConsistency(
  oldNote: string | Uint8Array, newNote: string | Uint8Array, proof: string | Uint8Array | ConsistencyProofText,
  opts: { verifiers: readonly NoteVerifier[]; origin?: string },
): { old: SignedCheckpoint; new: SignedCheckpoint } {
  const a = openCheckpoint(oldNote, opts.verifiers, opts.origin);
  const b = openCheckpoint(newNote, opts.verifiers, opts.origin ?? a.origin);
  const p = typeof proof === 'string' || proof instanceof Uint8Array ? parseConsistencyProof(proof) : proof;
  if (b.size < a.size) throw new MvError('AUDIT_PROOF_INVALID', `new checkpoint (size ${b.size}) is smaller than the old one (size ${a.size})`);
  if (p.from !== a.size || p.to !== b.size) throw new MvError('AUDIT_PROOF_INVALID', 'consistency proof sizes do not match the checkpoints');
  verifyConsistency(a.size, b.size, p.proof, a.root, b.root);
  return { old: a, new: b };
}
