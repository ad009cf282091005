import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MvError } from '../core/index.js';
import { loadModel, type Model } from '../runtime/index.js';
import { assertModelVerified, loadTrustPolicy, type Trust, type VerifyResult } from './model-signing.js';
import { ioError } from './file-source.js';

export interface LoadModelFileOptions {
  /** A trust policy file path, or any `Trust` (key, CA roots, keyless identity, resolved policy). */
  readonly trust?: string | Trust;
  /** Signature bundle path (default: the policy's name, else `<model>.sig` / `model.sig` beside it). */
  readonly signature?: string;
  /** Load a model without a valid signature. Development only: say so explicitly. */
  readonly allowUnsigned?: boolean;
}

export interface LoadedModel {
  readonly model: Model;
  /** Absent only when `allowUnsigned` skipped verification. */
  readonly verification?: VerifyResult;
}

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

/**
 * Verifies a model artifact's signature against a trust policy, then loads it. Refuses a model whose
 * signature is missing or invalid unless `allowUnsigned` is set. The bytes that are loaded are the
 * bytes that were verified: the file is read once and its digest checked against the signed root.
 */
export async function loadModelFile(path: string, opts: LoadModelFileOptions = {}): Promise<LoadedModel> {
  const read = (): Uint8Array => {
    try {
      return new Uint8Array(readFileSync(path));
    } catch (e) {
      throw ioError(path, e);
    }
  };
  if (!opts.trust) {
    if (opts.allowUnsigned) return { model: loadModel(read()) };
    throw new MvError('SIG_UNSIGNED', `refusing to load ${path} without a trust policy: pass { trust } (or allowUnsigned for development)`);
  }
  const trust: Trust = typeof opts.trust === 'string' ? { kind: 'policy', policy: await loadTrustPolicy(opts.trust) } : opts.trust;
  const verification = await assertModelVerified(path, { trust, ...(opts.signature ? { signature: opts.signature } : {}), ...(opts.allowUnsigned ? { allowUnsigned: true } : {}) });
  const bytes = read();
  if (verification.signed) {
    // Single-file `files` manifest: root = SHA-256(SHA-256(file)). Anything else is re-checked the slow way.
    const root = verification.method === 'files' ? sha256(sha256(bytes)).toString('hex') : undefined;
    if (root !== verification.rootDigest) {
      throw new MvError('SIG_MODEL_MISMATCH', `${path} changed after it was verified, or is not a single signed file`);
    }
  }
  return { model: loadModel(bytes), verification };
}
