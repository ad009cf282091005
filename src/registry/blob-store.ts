/**
 * Content-addressed blob storage. `BlobStore` is the interface the registry uses (an S3-compatible
 * implementation can be added beside `FsBlobStore` without touching callers); `FsBlobStore` keeps
 * `<root>/sha256/<first two hex>/<64 hex>`, each blob written under a temporary name in its own
 * folder, fsynced, made read-only (0444), renamed atomically, and the folder fsynced.
 */
import { createHash } from 'node:crypto';
import { chmod, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MvError } from '../core/index.js';
import { CHUNK_BYTES, copyHashed, ensureDir, fsyncDir, hexDigest, ioFail, pidAlive, pipeHashed, renameDurable, tempName, tempOwner, writeDurable } from './fs-util.js';

/** `sha256:<64 lowercase hex>`. */
export type Digest = string;
export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
}

export interface PutFileOptions {
  /**
   * The caller owns `path` and gives it away: a same-filesystem store may rename it into place
   * instead of copying (the file must already be fsynced). `digest` must then be its known digest.
   */
  readonly move?: { readonly digest: Digest; readonly size: number };
}

export interface BlobStore {
  /** True when the blob is stored (its bytes are not re-checked). */
  has(digest: Digest): Promise<boolean>;
  /** Stores a file's bytes; idempotent for bytes already stored. */
  putFile(path: string, opts?: PutFileOptions): Promise<BlobInfo>;
  putBytes(bytes: Uint8Array): Promise<BlobInfo>;
  /** Streams the blob; after the last chunk throws REG_BLOB_CORRUPT if the bytes do not hash to `digest`. */
  read(digest: Digest): AsyncIterable<Uint8Array>;
  /** Copies the blob to `dest` (temp name + rename), re-verifying the digest; the file never appears on a mismatch. */
  readTo(digest: Digest, dest: string): Promise<BlobInfo>;
  /** Re-hashes the stored bytes. */
  verify(digest: Digest): Promise<boolean>;
  delete(digest: Digest): Promise<boolean>;
  /** Every stored digest. */
  list(): Promise<Digest[]>;
  /** Removes temporary files left by processes that no longer exist; returns how many. */
  sweepTemp(): Promise<number>;
}

export function assertDigest(d: string): Digest {
  if (!DIGEST_RE.test(d)) throw new MvError('USAGE_INVALID', `not a sha256:<64 hex> digest: ${JSON.stringify(d.slice(0, 80))}`);
  return d;
}

export class FsBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  /** Folder and path of a blob. */
  pathOf(digest: Digest): { dir: string; path: string } {
    const hex = hexDigest(assertDigest(digest));
    const dir = join(this.root, 'sha256', hex.slice(0, 2));
    return { dir, path: join(dir, hex) };
  }

  async has(digest: Digest): Promise<boolean> {
    return (await stat(this.pathOf(digest).path).catch(() => null))?.isFile() === true;
  }

  async putFile(path: string, opts: PutFileOptions = {}): Promise<BlobInfo> {
    if (opts.move) {
      const { dir, path: dest } = this.pathOf(opts.move.digest);
      if (await this.has(opts.move.digest)) {
        await unlink(path).catch(() => {});
        return opts.move;
      }
      await ensureDir(dir);
      await chmod(path, 0o444);
      await renameDurable(path, dest, dir);
      await fsyncDir(dirname(path)).catch(() => {});
      return opts.move;
    }
    // Copy into a temp name in a staging folder first: the digest (and so the final folder) is known only
    // after every byte was read, then move the temp file into its folder.
    const stageDir = join(this.root, 'sha256', 'incoming');
    await ensureDir(stageDir);
    const tmp = join(stageDir, tempName());
    let info: BlobInfo;
    try {
      info = await copyHashed(path, tmp, 0o600);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
    return this.putFile(tmp, { move: info });
  }

  async putBytes(bytes: Uint8Array): Promise<BlobInfo> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const info = { digest, size: bytes.length };
    if (await this.has(digest)) return info;
    const { dir, path } = this.pathOf(digest);
    await ensureDir(dir);
    const tmp = join(dir, tempName());
    try {
      await writeDurable(tmp, bytes, 0o600);
      await chmod(tmp, 0o444);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
    await renameDurable(tmp, path, dir);
    return info;
  }

  async *read(digest: Digest): AsyncIterable<Uint8Array> {
    const { path } = this.pathOf(digest);
    const fh = await open(path, 'r').catch((e) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new MvError('REG_BLOB_CORRUPT', `blob ${digest} is missing from the store`);
      throw ioFail(`cannot read blob ${digest}`, e);
    });
    try {
      const h = createHash('sha256');
      for (;;) {
        const buf = Buffer.allocUnsafe(CHUNK_BYTES);
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        h.update(chunk);
        yield chunk;
      }
      const got = `sha256:${h.digest('hex')}`;
      if (got !== digest) throw new MvError('REG_BLOB_CORRUPT', `blob ${digest} is corrupt: its bytes hash to ${got}`);
    } finally {
      await fh.close();
    }
  }

  async readTo(digest: Digest, dest: string): Promise<BlobInfo> {
    const { path } = this.pathOf(digest);
    const input = await open(path, 'r').catch((e) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new MvError('REG_BLOB_CORRUPT', `blob ${digest} is missing from the store`);
      throw ioFail(`cannot read blob ${digest}`, e);
    });
    const dir = dirname(dest);
    const tmp = join(dir, tempName());
    try {
      const out = await open(tmp, 'wx', 0o644).catch((e) => {
        throw ioFail(`cannot write to ${dir}`, e);
      });
      let info: { digest: string; size: number };
      try {
        info = await pipeHashed(input, out);
        if (info.digest !== digest) throw new MvError('REG_BLOB_CORRUPT', `blob ${digest} is corrupt: its bytes hash to ${info.digest}`);
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(tmp, dest).catch((e) => {
        throw ioFail(`cannot write ${dest}`, e);
      });
      return { digest, size: info.size };
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    } finally {
      await input.close();
    }
  }

  async verify(digest: Digest): Promise<boolean> {
    try {
      for await (const _ of this.read(digest)) void _;
      return true;
    } catch (e) {
      if (e instanceof MvError && e.code === 'REG_BLOB_CORRUPT') return false;
      throw e;
    }
  }

  async delete(digest: Digest): Promise<boolean> {
    const { dir, path } = this.pathOf(digest);
    try {
      await unlink(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw ioFail(`cannot delete blob ${digest}`, e);
    }
    await fsyncDir(dir);
    return true;
  }

  private async shardDirs(): Promise<string[]> {
    const base = join(this.root, 'sha256');
    const names = await readdir(base).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{2}$/.test(n) || n === 'incoming').map((n) => join(base, n));
  }

  async list(): Promise<Digest[]> {
    const out: Digest[] = [];
    for (const dir of await this.shardDirs()) {
      const shard = dir.slice(-2);
      for (const n of await readdir(dir).catch(() => [] as string[])) {
        if (/^[0-9a-f]{64}$/.test(n) && n.startsWith(shard)) out.push(`sha256:${n}`);
      }
    }
    return out.sort();
  }

  async sweepTemp(): Promise<number> {
    let removed = 0;
    for (const dir of await this.shardDirs()) {
      for (const n of await readdir(dir).catch(() => [] as string[])) {
        const pid = tempOwner(n);
        if (pid !== undefined && !pidAlive(pid)) {
          await unlink(join(dir, n)).catch(() => {});
          removed++;
        }
      }
    }
    return removed;
  }
}
