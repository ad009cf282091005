/**
 * C2SP checkpoints (https://c2sp.org/tlog-checkpoint): the note text `<origin>\n<size>\n<base64 root>\n`
 * plus optional non-empty extension lines, signed as a signed note.
 */
import { MvError } from '../core/index.js';
import { HASH_BYTES } from './merkle.js';
import { signNote, verifyNote, type NoteSigner, type NoteVerifier, type VerifiedNote } from './note.js';
import { asText, decodeBase64Strict, encodeBase64, hasControlChars, safeDecimal } from './text.js';

/** A tree head: origin, size and RFC 6962 root; valid by construction when it comes from parseCheckpoint. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  /** Opaque extension lines (NOT RECOMMENDED by the spec; we never emit them). */
  readonly extensions: readonly string[];
}

/** A checkpoint together with the signed note it came from. */
export interface SignedCheckpoint extends Checkpoint {
  readonly note: string;
  readonly signatures: VerifiedNote['signatures'];
}

function checkOrigin(origin: string): void {
  if (typeof origin !== 'string' || origin.length === 0) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'origin must be non-empty');
  if (origin.includes('\n') || hasControlChars(origin)) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'origin contains control characters');
  asText(origin, 'AUDIT_CHECKPOINT_INVALID', 'origin');
}

/** Formats the checkpoint note text (the bytes the log signs). */
export function formatCheckpoint(cp: { origin: string; size: number; root: Uint8Array; extensions?: readonly string[] }): string {
  checkOrigin(cp.origin);
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'size must be a non-negative safe integer');
  if (!(cp.root instanceof Uint8Array) || cp.root.length !== HASH_BYTES) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'root must be 32 bytes');
  const ext = cp.extensions ?? [];
  for (const e of ext) {
    if (e.length === 0 || e.includes('\n') || hasControlChars(e)) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'extension lines must be non-empty single lines');
  }
  return [cp.origin, String(cp.size), encodeBase64(cp.root), ...ext].join('\n') + '\n';
}

/**
 * Parses checkpoint note text strictly: non-empty origin without control characters, canonical decimal
 * size (no leading zeros, < 2^53), canonical base64 of a 32-byte root, non-empty extension lines.
 */
export function parseCheckpoint(text: string | Uint8Array): Checkpoint {
  const s = asText(text, 'AUDIT_CHECKPOINT_INVALID', 'checkpoint');
  if (s.length > 1 << 16) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'checkpoint text is too large');
  if (!s.endsWith('\n')) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'checkpoint text must end with a newline');
  if (hasControlChars(s)) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'checkpoint contains control characters');
  const lines = s.slice(0, -1).split('\n');
  if (lines.length < 3) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'checkpoint needs origin, size and root lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  checkOrigin(origin);
  const size = safeDecimal(sizeLine, 'AUDIT_CHECKPOINT_INVALID', 'tree size');
  const root = decodeBase64Strict(rootLine, 'AUDIT_CHECKPOINT_INVALID', 'root hash');
  if (root.length !== HASH_BYTES) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'root hash must be 32 bytes');
  for (const e of extensions) if (e.length === 0) throw new MvError('AUDIT_CHECKPOINT_INVALID', 'extension lines must be non-empty');
  return { origin, size, root, extensions };
}

/** Signs a checkpoint: formatCheckpoint + signNote. The key name SHOULD equal the origin. */
export function signCheckpoint(cp: { origin: string; size: number; root: Uint8Array }, signer: NoteSigner): string {
  return signNote(formatCheckpoint(cp), signer);
}

/**
 * Verifies a signed checkpoint note against trusted keys and parses it; if `origin` is given, the
 * checkpoint must be for that log. Throws AUDIT_NOTE_* or AUDIT_CHECKPOINT_INVALID.
 */
export function openCheckpoint(note: string | Uint8Array, verifiers: readonly NoteVerifier[], origin?: string): SignedCheckpoint {
  const opened = verifyNote(note, verifiers);
  const cp = parseCheckpoint(opened.text);
  if (origin !== undefined && cp.origin !== origin) {
    throw new MvError('AUDIT_CHECKPOINT_INVALID', `checkpoint is for origin ${JSON.stringify(cp.origin)}, expected ${JSON.stringify(origin)}`);
  }
  return { ...cp, note: asText(note, 'AUDIT_NOTE_INVALID', 'note'), signatures: opened.signatures };
}
