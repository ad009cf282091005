/**
 * audit (rank 1, pure): RFC 6962/9162 Merkle tree, inclusion/consistency proofs, C2SP signed notes,
 * checkpoints and tlog-proof receipts, and the canonical audit event encoding. See docs/audit.md.
 */
export {
  HASH_BYTES, EMPTY_ROOT, hashLeaf, hashChildren, digestEqual, splitPoint, rootFromLeafHashes,
  CompactRange, rangeCoordinates, frontierCoordinates, foldRight, type NodeCoord,
} from './merkle.js';
export {
  MAX_PROOF_HASHES, parseTreeInt, toTreeNumber, rangeHash, rootAt, inclusionProof, consistencyProof,
  verifyInclusion, verifyConsistency, type GetNode,
} from './proofs.js';
export {
  SIG_TYPE_ED25519, SIG_TYPE_ECDSA, SIG_PREFIX, MAX_NOTE_SIGNATURES, MAX_NOTE_BYTES,
  ed25519PrivateKey, ed25519PublicRaw, ed25519PublicKey, noteKeyId, ecdsaKeyId, encodeVkey, parseVkey,
  ed25519Verifier, ecdsaVerifier, signNote, verifyNote,
  type NoteVerifier, type NoteSigner, type NoteSignature, type VerifiedNote,
} from './note.js';
export {
  formatCheckpoint, parseCheckpoint, signCheckpoint, openCheckpoint, type Checkpoint, type SignedCheckpoint,
} from './checkpoint.js';
export {
  TLOG_PROOF_HEADER, CONSISTENCY_HEADER, formatTlogProof, parseTlogProof, verifyTlogProof,
  formatConsistencyProof, parseConsistencyProof, verifyCheckpointConsistency,
  type TlogProof, type VerifiedReceipt, type ConsistencyProofText,
} from './receipt.js';
export {
  ACTIONS, ACTION_BY_NAME, MAX_EVENT_BYTES, MAX_EVENT_DEPTH, assertAuditEvent, encodeEvent, parseEvent,
  type ActionInfo, type AuditEvent, type AuditSubject, type JsonValue,
} from './events.js';
export { decodeBase64Strict, encodeBase64 } from './text.js';
