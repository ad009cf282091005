/**
 * registry (rank 5): the embedded model registry — SQLite metadata, content-addressed blob store,
 * ingestion (scan → verify → convert → store), aliases, tags, roles, tokens and the audit log.
 * See docs/registry.md.
 */
export {
  Registry, DEFAULT_TOKEN_SECONDS, MAX_TOKEN_SECONDS,
  type RegistryOptions, type InitOptions, type PushInput, type PushResult, type ActionResult, type CreatedToken,
  type RecoveryReport, type AuditVerifyResult, type StateProblem,
} from './registry.js';
export { layoutOf, resolveRegistryDir, type RegistryLayout } from './layout.js';
export { FsBlobStore, DIGEST_RE, assertDigest, type BlobStore, type BlobInfo, type Digest, type PutFileOptions } from './blob-store.js';
export { SqliteMetadataStore, MIGRATIONS, SCHEMA_VERSION, BUSY_TIMEOUT_MS } from './sqlite-store.js';
export type {
  MetadataStore, MetadataTx, MetadataReader, AuditLog, ModelRecord, VersionRecord, NewVersion, VersionStatus, AliasRecord, AliasMove,
  TagRecord, IdentityRecord, TokenRecord, PendingBlob, RegistrySettings,
} from './metadata-store.js';
export { FORMAT_RULES, FORMAT_RULE_BY_NAME, defaultConverter, MAX_CONVERT_BYTES, type Converter, type ConvertInput, type ConvertOutput, type FormatRule } from './converter.js';
export { ROLES, ROLE_BY_NAME, parseRole, roleAtLeast, type Role, type RoleInfo } from './roles.js';
export {
  NAME_LIMITS, assertModelName, assertAliasName, assertIdentityName, assertTagKey, assertTagValue, assertReason, assertMetadata,
  parseMetaPairs, parseRef, parseVersionNumber, type VersionRef,
} from './names.js';
export { AuditStore, type AuditEntry, type AuditEventInput, type StoredCheckpoint, type VerifyAllResult, type AuditProblem } from './audit-store.js';
