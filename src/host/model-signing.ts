import { createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject, type X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { MvError, isMvError, type ErrorCode } from '../core/index.js';
import {
  CURVES,
  DEFAULT_SHARD_SIZE,
  DEFAULT_SIGNATURE_NAME,
  DSSE_PAYLOAD_TYPE,
  MAX_BUNDLE_BYTES,
  assertStatementConsistent,
  buildBundle,
  buildManifest,
  buildStatement,
  curveOf,
  diffManifests,
  isCleanDiff,
  keyHint,
  normalizeIgnorePath,
  pae,
  parseBundle,
  parseCertificatesPem,
  parsePrivateKeyPem,
  parsePublicKeyPem,
  parseShardName,
  parseStatement,
  parseTrustPolicy,
  resourceAlgorithm,
  resourceName,
  rootDigest,
  samePublicKey,
  serializeStatement,
  verifyChainBundle,
  verifyKeyBundle,
  verifyKeylessBundle,
  verifyWithPolicy,
  writeBundle,
  type CurveName,
  type FileMismatch,
  type HashType,
  type Resource,
  type ResolvedTrustPolicy,
  type Serialization,
  type Signer,
  type SignatureCheck,
} from '../integrity/index.js';
import { hashModelFiles, ttyProgress, type HashOptions } from './hash-files.js';
import { isBelowRoot, listModelFiles, statModelFiles, type ModelTree } from './model-files.js';

// ── keys ────────────────────────────────────────────────────────────────────────────────────

/** A fresh EC key pair as PEM: PKCS#8 private key (AES-256-CBC/PBKDF2 when a passphrase is given), SPKI public key. */
export function generateSigningKey(curve: CurveName = 'p256', passphrase?: string): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVES[curve].nodeName });
  const privatePem = privateKey
    .export(passphrase !== undefined ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase } : { type: 'pkcs8', format: 'pem' })
    .toString();
  return { privatePem, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** `KEY.pem` → `KEY.pub`; other names get `.pub` appended. */
export const publicKeyPathFor = (privatePath: string): string => (privatePath.endsWith('.pem') ? `${privatePath.slice(0, -4)}.pub` : `${privatePath}.pub`);

/**
 * Writes a new key pair: the private key with mode 0600 (created exclusively unless `force`), the
 * public key beside it. Returns both paths.
 */
export async function writeSigningKey(
  privatePath: string,
  opts: { curve?: CurveName; passphrase?: string; force?: boolean } = {},
): Promise<{ privatePath: string; publicPath: string }> {
  const { privatePem, publicPem } = generateSigningKey(opts.curve, opts.passphrase);
  const publicPath = publicKeyPathFor(privatePath);
  const flag = opts.force ? 'w' : 'wx';
  try {
    await writeFile(privatePath, privatePem, { mode: 0o600, flag });
    await chmod(privatePath, 0o600); // an existing file overwritten with --force keeps its old mode otherwise
    await writeFile(publicPath, publicPem, { mode: 0o644, flag });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MvError('IO_ERROR', code === 'EEXIST' ? 'refusing to overwrite an existing key file (use --force)' : `cannot write the key files (${code ?? 'error'})`);
  }
  return { privatePath, publicPath };
}

/** Reads a text file given by the user; IO_NOT_FOUND / IO_ERROR without quoting its content. */
export async function readUserFile(path: string, what: string, maxBytes = MAX_BUNDLE_BYTES): Promise<Buffer> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new MvError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'IO_NOT_FOUND' : 'IO_ERROR', `cannot read ${what} ${path}`);
  }
  if (!st.isFile()) throw new MvError('IO_ERROR', `${what} ${path} is not a file`);
  if (st.size > maxBytes) throw new MvError('LIMIT_EXCEEDED', `${what} ${path} is larger than ${maxBytes} bytes`, { limit: 'maxBytes', actual: st.size });
  try {
    return await readFile(path);
  } catch {
    throw new MvError('IO_ERROR', `cannot read ${what} ${path}`);
  }
}

// ── hashing ─────────────────────────────────────────────────────────────────────────────────

/** Options shared by sign, hash and verify. */
export interface TreeOptions {
  /** Paths relative to the model root to skip. */
  readonly ignorePaths?: readonly string[];
  /** Skip top-level .git* paths (default true). */
  readonly ignoreGitPaths?: boolean;
  readonly allowSymlinks?: boolean;
  /** Worker threads for hashing (default every core). */
  readonly workers?: number;
  /** Progress callback; or `progress: true` for a cli-progress bar on a TTY stderr. */
  readonly onProgress?: HashOptions['onProgress'];
  readonly progress?: boolean;
}

export interface ManifestOptions extends TreeOptions {
  /** `files` (default) or `shards`. */
  readonly method?: 'files' | 'shards';
  readonly shardSize?: number;
  readonly hashType?: HashType;
}

/** The manifest of a model as `modelvault hash` prints it. */
export interface HashResult {
  readonly modelName: string;
  readonly rootDigest: string;
  readonly serialization: Serialization;
  readonly resources: readonly Resource[];
  readonly statement: Record<string, unknown>;
  readonly tree: ModelTree;
}

async function hashTree(tree: ModelTree, config: { method: 'files' | 'shards'; hashType: HashType; shardSize?: number }, opts: TreeOptions) {
  const total = tree.files.reduce((s, f) => s + f.size, 0);
  const bar = opts.progress ? ttyProgress(total) : undefined;
  try {
    return await hashModelFiles(tree.files, config, {
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      onProgress: (d, t) => {
        bar?.onProgress(d, t);
        opts.onProgress?.(d, t);
      },
    });
  } finally {
    bar?.stop();
  }
}

/** Hashes a model (file or folder) into its OMS manifest and statement, without signing. */
export async function hashModel(modelPath: string, opts: ManifestOptions = {}, extraIgnores: readonly string[] = []): Promise<HashResult> {
  const tree = await listModelFiles(modelPath, { ...opts, ignorePaths: [...(opts.ignorePaths ?? []), ...extraIgnores] });
  const method = opts.method ?? 'files';
  const hashType = opts.hashType ?? 'sha256';
  const shardSize = opts.shardSize ?? DEFAULT_SHARD_SIZE;
  const digests = await hashTree(tree, { method, hashType, shardSize }, opts);
  const base = { hashType, allowSymlinks: opts.allowSymlinks ?? false, ignorePaths: tree.ignorePaths };
  const serialization: Serialization = method === 'files' ? { method, ...base } : { method, ...base, shardSize };
  const manifest = buildManifest(digests, serialization);
  return {
    modelName: tree.modelName,
    rootDigest: rootDigest(manifest.resources),
    serialization,
    resources: manifest.resources,
    statement: buildStatement(tree.modelName, manifest),
    tree,
  };
}

/** Default signature location of the API: `<folder>/model.sig`, or `<file>.sig` for a single file. */
export async function defaultSignaturePath(modelPath: string): Promise<string> {
  const st = await stat(modelPath).catch(() => null);
  return st?.isDirectory() ? resolve(modelPath, DEFAULT_SIGNATURE_NAME) : `${resolve(modelPath)}.sig`;
}

/** The signature path relative to the model root when it lies inside the model folder, else null. */
function insideRoot(root: string, path: string): string | null {
  const rel = relative(root, resolve(path));
  if (!isBelowRoot(rel)) return null;
  return normalizeIgnorePath(rel.split(sep).join('/'));
}

async function modelRoot(modelPath: string): Promise<string> {
  const st = await stat(modelPath).catch(() => {
    throw new MvError('IO_NOT_FOUND', `cannot read model path ${modelPath}`);
  });
  return st.isDirectory() ? resolve(modelPath) : dirname(resolve(modelPath));
}

// ── sign ────────────────────────────────────────────────────────────────────────────────────

export interface SignOptions extends ManifestOptions {
  /** EC private key: a KeyObject or PEM text (PKCS#8, encrypted PKCS#8 or SEC1). */
  readonly privateKey: KeyObject | string;
  readonly passphrase?: string;
  /** Certificate method: PEM text with the leaf first, then intermediates (the root may be omitted). */
  readonly certChain?: string;
  /** Where to write the bundle (default: see `defaultSignaturePath`). */
  readonly signaturePath?: string;
}

export interface SignResult {
  readonly signaturePath: string;
  readonly modelName: string;
  readonly rootDigest: string;
  readonly files: number;
  readonly bundle: Record<string, unknown>;
}

/**
 * Signs a model (OMS): hashes it (files/sha256 by default), builds the statement in reference order,
 * signs PAE with ECDSA using the curve's hash, writes the bundle atomically. The signature file and
 * top-level .git* paths are ignored and recorded in `ignore_paths`.
 */
export async function signModel(modelPath: string, opts: SignOptions): Promise<SignResult> {
  const key = typeof opts.privateKey === 'string' ? parsePrivateKeyPem(opts.privateKey, opts.passphrase) : opts.privateKey;
  const curve = curveOf(key);
  let certificates: X509Certificate[] | null = null;
  if (opts.certChain !== undefined) {
    certificates = parseCertificatesPem(opts.certChain);
    if (!samePublicKey(certificates[0]!.publicKey, key)) {
      throw new MvError('SIG_KEY_MISMATCH', 'the private key does not match the first (leaf) certificate of the chain');
    }
  }
  const signaturePath = resolve(opts.signaturePath ?? (await defaultSignaturePath(modelPath)));
  const root = await modelRoot(modelPath);
  const sigRel = (await stat(modelPath)).isDirectory() ? insideRoot(root, signaturePath) : null;
  const h = await hashModel(modelPath, opts, sigRel ? [sigRel] : []);
  const payload = serializeStatement(h.statement);
  const signature = cryptoSign(CURVES[curve].hash, pae(DSSE_PAYLOAD_TYPE, payload), { key, dsaEncoding: 'der' });
  const bundle = buildBundle(
    payload,
    signature,
    certificates ? { kind: 'chain', certificates: certificates.map((c) => c.raw) } : { kind: 'publicKey', hint: keyHint(createPublicKey(key)) },
  );
  const tmp = `${signaturePath}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, writeBundle(bundle), { flag: 'w' });
    await rename(tmp, signaturePath);
  } catch (e) {
    throw new MvError('IO_ERROR', `cannot write the signature ${signaturePath} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return { signaturePath, modelName: h.modelName, rootDigest: h.rootDigest, files: h.tree.files.length, bundle };
}

// ── verify ──────────────────────────────────────────────────────────────────────────────────

let seedRoot: unknown;
/** The Sigstore public-good trusted root shipped in @sigstore/tuf's seeds.json (frozen at its release). */
export function defaultTrustedRoot(): unknown {
  if (seedRoot === undefined) {
    const require = createRequire(import.meta.url);
    const seeds = JSON.parse(readFileSync(require.resolve('@sigstore/tuf/seeds.json'), 'utf8')) as Record<string, { targets: Record<string, string> }>;
    const b64 = seeds['https://tuf-repo-cdn.sigstore.dev']?.targets['trusted_root.json'];
    if (!b64) throw new MvError('SIG_POLICY_INVALID', 'the @sigstore/tuf seeds carry no trusted_root.json');
    seedRoot = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  }
  return seedRoot;
}

/** Reads a Sigstore trusted_root.json file. */
export async function readTrustedRoot(path: string): Promise<unknown> {
  try {
    return JSON.parse((await readUserFile(path, 'trusted root')).toString('utf8'));
  } catch (e) {
    if (isMvError(e)) throw e;
    throw new MvError('SIG_POLICY_INVALID', `trusted root ${path} is not JSON`);
  }
}

/** What to trust when verifying. */
export type Trust =
  | { readonly kind: 'key'; /** PEM text or KeyObject. */ readonly publicKey: string | KeyObject }
  | {
      readonly kind: 'certificate';
      /** Trust anchors: PEM text (one or more certificates) or parsed certificates. */
      readonly roots: string | readonly X509Certificate[];
      readonly intermediates?: string | readonly X509Certificate[];
      /** Required leaf subject DN, CN or subjectAltName. */
      readonly identity?: string;
      /** Also require the chain to be valid now (default: only at signing time). */
      readonly requireUnexpired?: boolean;
    }
  | { readonly kind: 'sigstore'; readonly identity: string; readonly issuer: string; /** Parsed trusted_root.json; default the seed root. */ readonly trustedRoot?: unknown }
  | { readonly kind: 'policy'; readonly policy: ResolvedTrustPolicy };

export interface VerifyOptions extends Omit<TreeOptions, 'allowSymlinks'> {
  /** Bundle path (default: see `defaultSignaturePath`, or the policy's `signature` name). */
  readonly signature?: string;
  readonly trust: Trust;
  /** Hash only files named in the manifest; extra files are tolerated. */
  readonly ignoreUnsignedFiles?: boolean;
  /** Treat a missing signature as OK (unsigned) instead of SIG_UNSIGNED. A policy's requireSignature:false does the same. */
  readonly allowUnsigned?: boolean;
  /** Clock for `requireUnexpired` (default now). */
  readonly now?: Date;
}

/** The outcome of `verifyModel`. `ok` is true only for a valid signature over unchanged files (or an allowed unsigned model). */
export interface VerifyResult {
  readonly ok: boolean;
  /** Why it failed: a SIG_* code and message. */
  readonly code?: ErrorCode;
  readonly reason?: string;
  readonly signed: boolean;
  readonly signaturePath: string;
  readonly signer?: Signer;
  /** Policy entry that matched (policy trust). */
  readonly matched?: string;
  readonly warnings: readonly string[];
  readonly modelName?: string;
  readonly rootDigest?: string;
  readonly method?: 'files' | 'shards';
  /** Files hashed. */
  readonly files: number;
  readonly modified: readonly FileMismatch[];
  readonly missing: readonly string[];
  readonly extra: readonly string[];
}

/** Codes that mean "the model or signature is not valid" (exit 1); every other error is usage or I/O (exit 2). */
export const INVALID_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SIG_BUNDLE_INVALID',
  'SIG_CHAIN_INVALID',
  'SIG_IDENTITY_MISMATCH',
  'SIG_INVALID',
  'SIG_KEY_MISMATCH',
  'SIG_MANIFEST_INCONSISTENT',
  'SIG_MODEL_MISMATCH',
  'SIG_PATH_UNSAFE',
  'SIG_UNSIGNED',
]);

function checkSignature(bundle: ReturnType<typeof parseBundle>, trust: Trust, now: Date): SignatureCheck & { matched?: string } {
  switch (trust.kind) {
    case 'key':
      return verifyKeyBundle(bundle, typeof trust.publicKey === 'string' ? parsePublicKeyPem(trust.publicKey) : trust.publicKey);
    case 'certificate': {
      const certs = (v: string | readonly X509Certificate[] | undefined) => (v === undefined ? [] : typeof v === 'string' ? parseCertificatesPem(v) : v);
      return verifyChainBundle(bundle, {
        roots: certs(trust.roots),
        intermediates: certs(trust.intermediates),
        ...(trust.identity !== undefined ? { identity: trust.identity } : {}),
        ...(trust.requireUnexpired ? { requireValidAt: now } : {}),
      });
    }
    case 'sigstore':
      return verifyKeylessBundle(bundle, { identity: trust.identity, issuer: trust.issuer, trustedRoot: trust.trustedRoot ?? defaultTrustedRoot() });
    case 'policy':
      return verifyWithPolicy(bundle, trust.policy);
  }
}

/**
 * Verifies a model against its OMS signature (§1.8): the signature over the exact payload bytes and
 * the signer against `trust`, the statement (types, root digest), then re-hashes the files with the
 * signed serialization (files or shards) and names every modified, missing and extra file. Returns a
 * result (ok or a SIG_* reason); throws MvError only for usage and I/O errors.
 */
export async function verifyModel(modelPath: string, opts: VerifyOptions): Promise<VerifyResult> {
  const policy = opts.trust.kind === 'policy' ? opts.trust.policy : undefined;
  const root = await modelRoot(modelPath);
  const isDir = (await stat(modelPath)).isDirectory();
  const signaturePath = resolve(
    opts.signature ?? (policy?.signature && isDir ? resolve(modelPath, policy.signature) : await defaultSignaturePath(modelPath)),
  );
  const warnings: string[] = [];
  const empty = { modified: [], missing: [], extra: [], files: 0 };
  const sigStat = await stat(signaturePath).catch(() => null);
  if (!sigStat) {
    const allowed = opts.allowUnsigned === true || policy?.requireSignature === false;
    return {
      ok: allowed,
      signed: false,
      signaturePath,
      warnings: allowed ? ['the model is not signed (allowed by the caller or the trust policy)'] : [],
      ...(allowed ? {} : { code: 'SIG_UNSIGNED' as const, reason: `no signature at ${signaturePath}` }),
      ...empty,
    };
  }
  let stage = 'signature';
  let partial: Partial<VerifyResult> = {};
  try {
    const bundle = parseBundle(await readUserFile(signaturePath, 'signature'));
    const check = checkSignature(bundle, opts.trust, opts.now ?? new Date());
    warnings.push(...check.warnings);
    partial = { signer: check.signer, ...(check.matched !== undefined ? { matched: check.matched } : {}) };
    stage = 'statement';
    const st = parseStatement(bundle.payload);
    assertStatementConsistent(st);
    const s = st.serialization;
    partial = { ...partial, modelName: st.subjectName, rootDigest: st.subjectDigest, method: s.method };
    stage = 'files';
    const sigRel = isDir ? insideRoot(root, signaturePath) : null;
    const ignorePaths = [
      ...s.ignorePaths.map(normalizeIgnorePath).filter((p): p is string => p !== null),
      ...(opts.ignorePaths ?? []),
      ...(policy?.ignorePaths ?? []),
      ...(sigRel ? [sigRel] : []),
    ];
    const unsignedOk = opts.ignoreUnsignedFiles ?? policy?.ignoreUnsignedFiles ?? false;
    let tree: ModelTree;
    if (unsignedOk) {
      const names = [...new Set(st.resources.map((r) => (s.method === 'shards' ? parseShardName(r.name)!.path : r.name)))];
      const found = await statModelFiles(isDir ? root : resolve(modelPath), names, { allowSymlinks: s.allowSymlinks });
      tree = { root, isFile: !isDir, modelName: st.subjectName, files: found.files, ignorePaths };
    } else {
      tree = await listModelFiles(modelPath, {
        ignorePaths,
        allowSymlinks: s.allowSymlinks,
        ...(opts.ignoreGitPaths !== undefined ? { ignoreGitPaths: opts.ignoreGitPaths } : {}),
      });
    }
    const digests = await hashTree(tree, { method: s.method, hashType: s.hashType, ...(s.method === 'shards' ? { shardSize: s.shardSize } : {}) }, opts);
    const algorithm = resourceAlgorithm(s);
    const actual: Resource[] = digests.map((d) => ({ name: resourceName(d, s), algorithm, digest: d.digest }));
    const diff = diffManifests(st.resources, actual, s);
    const ok = isCleanDiff(diff);
    const parts = [
      diff.modified.length ? `${diff.modified.length} modified (${diff.modified.map((m) => m.name).join(', ')})` : '',
      diff.missing.length ? `${diff.missing.length} missing (${diff.missing.join(', ')})` : '',
      diff.extra.length ? `${diff.extra.length} extra (${diff.extra.join(', ')})` : '',
    ].filter(Boolean);
    return {
      ok,
      ...(ok ? {} : { code: 'SIG_MODEL_MISMATCH' as const, reason: `the files do not match the signed manifest: ${parts.join('; ')}` }),
      signed: true,
      signaturePath,
      warnings,
      ...partial,
      files: tree.files.length,
      ...diff,
    };
  } catch (e) {
    if (isMvError(e) && (INVALID_CODES.has(e.code) || (stage === 'signature' && e.code === 'LIMIT_EXCEEDED'))) {
      return { ok: false, code: e.code, reason: e.message, signed: true, signaturePath, warnings, ...partial, ...empty };
    }
    throw e;
  }
}

// ── trust policy files ──────────────────────────────────────────────────────────────────────

/**
 * Loads a trust policy file: validates it (SIG_POLICY_INVALID) and loads every key, root and trusted
 * root. PEM fields may hold the PEM text itself or a path relative to the policy file.
 */
export async function loadTrustPolicy(path: string): Promise<ResolvedTrustPolicy> {
  let json: unknown;
  try {
    json = JSON.parse((await readUserFile(path, 'trust policy')).toString('utf8'));
  } catch (e) {
    if (isMvError(e)) throw e;
    throw new MvError('SIG_POLICY_INVALID', `trust policy ${path} is not JSON`);
  }
  const p = parseTrustPolicy(json);
  const base = dirname(resolve(path));
  const text = async (v: string, what: string) => (v.includes('-----BEGIN') ? v : (await readUserFile(resolve(base, v), what)).toString('utf8'));
  const keys = [];
  for (const [i, k] of p.keys.entries()) keys.push({ name: k.name ?? `keys[${i}]`, key: parsePublicKeyPem(await text(k.publicKey, 'public key')) });
  const cas = [];
  for (const [i, c] of p.certificateAuthorities.entries()) {
    cas.push({
      name: c.name ?? `certificateAuthorities[${i}]`,
      roots: parseCertificatesPem(await text(c.root, 'root certificate')),
      intermediates: c.intermediates ? parseCertificatesPem(await text(c.intermediates, 'intermediate certificates')) : [],
      identities: c.identities ?? [],
    });
  }
  const sig = [];
  for (const [i, s] of p.sigstore.entries()) {
    sig.push({
      name: s.name ?? `sigstore[${i}]`,
      identity: s.identity,
      issuer: s.issuer,
      trustedRoot: s.trustedRoot ? await readTrustedRoot(resolve(base, s.trustedRoot)) : defaultTrustedRoot(),
    });
  }
  return {
    requireSignature: p.requireSignature,
    ...(p.signature !== undefined ? { signature: p.signature } : {}),
    keys,
    certificateAuthorities: cas,
    sigstore: sig,
    ignorePaths: p.ignorePaths,
    ignoreUnsignedFiles: p.ignoreUnsignedFiles,
  };
}

/**
 * `verifyModel`, then throws the failure as an MvError (SIG_* code and reason) unless the result is
 * ok — the one-call gate for loaders: `await assertModelVerified(path, { trust: { kind: 'policy', policy } })`.
 */
export async function assertModelVerified(modelPath: string, opts: VerifyOptions): Promise<VerifyResult> {
  const r = await verifyModel(modelPath, opts);
  if (!r.ok) throw new MvError(r.code ?? 'SIG_INVALID', r.reason ?? 'the model does not verify', { path: [modelPath] });
  return r;
}
