/**
 * Validation of every name and value a caller hands the registry (parse at the boundary, STYLE.md §2).
 * Names never become file paths (blobs are content-addressed), but they do end up in audit events,
 * terminal output and URLs, so the alphabet is small: no path separators, no control characters,
 * no whitespace, nothing that needs quoting.
 */
import { MvError } from '../core/index.js';

/** Bounds on names and user metadata. Limits follow MLflow's guarantees (tag keys ≥ 250 bytes). */
export const NAME_LIMITS = {
  /** Model, alias, identity and tag-key length in characters. */
  maxNameChars: 128,
  /** One metadata or tag value. */
  maxValueChars: 4096,
  /** Entries in one `--meta` map or on one version's tags. */
  maxEntries: 64,
  /** UTF-8 bytes of one version's whole metadata map as JSON. */
  maxMetaBytes: 16 * 1024,
  /** Free-text reasons (deprecate, delete). */
  maxReasonChars: 1024,
} as const;

/** Model names: `iris`, `fraud-detector.v2`, `team_a-model`. */
const MODEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Identity names also allow `@` (e-mail style) to match OS and SSO user names. */
const IDENTITY_RE = /^[A-Za-z0-9_][A-Za-z0-9._@-]*$/;
/** Metadata and tag keys. */
const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export type NameKind = 'model' | 'alias' | 'identity' | 'tag key' | 'metadata key';

function describeBad(v: string): string {
  if (/[/\\]/.test(v)) return 'contains a path separator';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(v)) return 'contains a control character';
  if (/\s/.test(v)) return 'contains whitespace';
  return 'contains a character outside [A-Za-z0-9._-]';
}

/** JSON.stringify, but without echoing more than 40 characters of attacker-controlled input. */
const quote = (v: string): string => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

function checkName(v: unknown, kind: NameKind, re: RegExp): string {
  if (typeof v !== 'string' || v.length === 0) throw new MvError('REG_INVALID_NAME', `${kind} name must be a non-empty string`);
  if (v.length > NAME_LIMITS.maxNameChars) {
    throw new MvError('REG_INVALID_NAME', `${kind} name is longer than ${NAME_LIMITS.maxNameChars} characters`, { limit: 'maxNameChars', actual: v.length });
  }
  if (!re.test(v)) throw new MvError('REG_INVALID_NAME', `${kind} name ${quote(v)} ${describeBad(v)}`);
  if (v.includes('..')) throw new MvError('REG_INVALID_NAME', `${kind} name ${quote(v)} contains ".."`);
  return v;
}

/** A model name: 1..128 of [A-Za-z0-9._-], starting with a letter or digit, no "..". */
export const assertModelName = (v: unknown): string => checkName(v, 'model', MODEL_RE);

/** An alias name: as a model name, but not all digits (so `NAME@3` never looks like a version). */
export function assertAliasName(v: unknown): string {
  const s = checkName(v, 'alias', MODEL_RE);
  if (/^[0-9]+$/.test(s)) throw new MvError('REG_INVALID_NAME', `alias name ${quote(s)} must not be a number`);
  return s;
}

export const assertIdentityName = (v: unknown): string => checkName(v, 'identity', IDENTITY_RE);

export const assertTagKey = (v: unknown): string => checkName(v, 'tag key', KEY_RE);

function checkValue(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new MvError('REG_METADATA_INVALID', `${what} must be a string`);
  if (v.length > NAME_LIMITS.maxValueChars) {
    throw new MvError('REG_METADATA_INVALID', `${what} is longer than ${NAME_LIMITS.maxValueChars} characters`, { limit: 'maxValueChars', actual: v.length });
  }
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(v)) throw new MvError('REG_METADATA_INVALID', `${what} contains a control character`);
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(v)) throw new MvError('REG_METADATA_INVALID', `${what} is not well-formed Unicode`);
  return v;
}

export const assertTagValue = (v: unknown): string => checkValue(v, 'tag value');

/** A free-text reason; bounded, no control characters other than tab/newline. */
export function assertReason(v: unknown): string {
  const s = checkValue(v, 'reason');
  if (s.length > NAME_LIMITS.maxReasonChars) throw new MvError('REG_METADATA_INVALID', `reason is longer than ${NAME_LIMITS.maxReasonChars} characters`);
  return s;
}

/** User metadata of a version (`--meta KEY=VALUE`): string → string, bounded in count and bytes. */
export function assertMetadata(v: unknown): Readonly<Record<string, string>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MvError('REG_METADATA_INVALID', 'metadata must be an object of strings');
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > NAME_LIMITS.maxEntries) {
    throw new MvError('REG_METADATA_INVALID', `more than ${NAME_LIMITS.maxEntries} metadata entries`, { limit: 'maxEntries', actual: entries.length });
  }
  for (const [k, x] of entries) {
    try {
      checkName(k, 'metadata key', KEY_RE);
    } catch (e) {
      throw new MvError('REG_METADATA_INVALID', (e as Error).message);
    }
    out[k] = checkValue(x, `metadata value of ${k}`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(out));
  if (bytes > NAME_LIMITS.maxMetaBytes) {
    throw new MvError('REG_METADATA_INVALID', `metadata is ${bytes} bytes, more than ${NAME_LIMITS.maxMetaBytes}`, { limit: 'maxMetaBytes', actual: bytes });
  }
  return { ...out };
}

/** Parses `KEY=VALUE` pairs (CLI `--meta`); a repeated key is an error, not a silent overwrite. */
export function parseMetaPairs(pairs: readonly string[]): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new MvError('REG_METADATA_INVALID', `metadata must be KEY=VALUE, got ${quote(p)}`);
    const k = p.slice(0, eq);
    if (Object.hasOwn(out, k)) throw new MvError('REG_METADATA_INVALID', `metadata key ${quote(k)} given twice`);
    out[k] = p.slice(eq + 1);
  }
  return assertMetadata(out);
}

/** A reference to one version: `NAME:VERSION`, `NAME@ALIAS`, or `NAME` alone (no version). */
export type VersionRef =
  | { readonly kind: 'version'; readonly model: string; readonly version: number }
  | { readonly kind: 'alias'; readonly model: string; readonly alias: string }
  | { readonly kind: 'model'; readonly model: string };

export function parseRef(s: string): VersionRef {
  const at = s.indexOf('@');
  if (at >= 0) return { kind: 'alias', model: assertModelName(s.slice(0, at)), alias: assertAliasName(s.slice(at + 1)) };
  const colon = s.lastIndexOf(':');
  if (colon >= 0) return { kind: 'version', model: assertModelName(s.slice(0, colon)), version: parseVersionNumber(s.slice(colon + 1)) };
  return { kind: 'model', model: assertModelName(s) };
}

export function parseVersionNumber(s: string | number): number {
  const n = typeof s === 'number' ? s : /^[1-9][0-9]{0,14}$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new MvError('REG_INVALID_NAME', `version must be a positive integer, got ${quote(String(s))}`);
  return n;
}
