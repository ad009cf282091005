import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { scanSource, type FileReport, type ScanOptions } from '../../scan/index.js';
import { ioError, openFileSource } from '../file-source.js';

export interface ScanPathsOptions extends ScanOptions {
  /** Called after each file with the number done and the total found so far. */
  readonly onProgress?: (done: number, total: number, bytes: number) => void;
  /** Follow symlinks that leave the scanned folder (off by default: threats.md §7.7). */
  readonly followSymlinks?: boolean;
}

interface Target {
  readonly path: string;
  /** Set when the entry cannot be scanned; it still gets a report. */
  readonly problem?: { code: 'IO_ERROR' | 'FORMAT_UNSUPPORTED'; message: string };
}

/** Every regular file below the given paths, depth first, sorted; nothing is skipped silently. */
export function collectTargets(paths: readonly string[], followSymlinks = false): Target[] {
  const out: Target[] = [];
  const visit = (p: string, root: string): void => {
    let st;
    try {
      st = lstatSync(p);
    } catch (e) {
      throw ioError(p, e);
    }
    if (st.isSymbolicLink()) {
      let real: string;
      try {
        real = realpathSync(p);
      } catch {
        out.push({ path: p, problem: { code: 'IO_ERROR', message: 'broken symbolic link' } });
        return;
      }
      const inside = real === root || real.startsWith(root + sep);
      if (!inside && !followSymlinks) {
        out.push({ path: p, problem: { code: 'IO_ERROR', message: `symbolic link to ${real}, outside the scanned folder (use --follow-symlinks)` } });
        return;
      }
      if (statSync(real).isDirectory()) {
        out.push({ path: p, problem: { code: 'IO_ERROR', message: 'symbolic link to a folder: scan the folder itself' } });
        return;
      }
      out.push({ path: p });
      return;
    }
    if (st.isDirectory()) {
      const entries = readdirSync(p).sort();
      for (const e of entries) visit(join(p, e), root);
      return;
    }
    if (st.isFile()) out.push({ path: p });
    else out.push({ path: p, problem: { code: 'FORMAT_UNSUPPORTED', message: 'not a regular file (socket, pipe or device)' } });
  };
  for (const p of paths) {
    const abs = resolve(p);
    let root = abs;
    try {
      root = statSync(abs).isDirectory() ? realpathSync(abs) : realpathSync(join(abs, '..'));
    } catch (e) {
      throw ioError(p, e);
    }
    visit(abs === root ? abs : p, root);
  }
  return out;
}

function problemReport(path: string, problem: NonNullable<Target['problem']>): FileReport {
  return {
    path, size: 0, format: 'unknown', status: 'blocked', class: 'incomplete', reason: problem.message,
    members: [], findings: [], errors: [{ code: problem.code, message: problem.message }], globals: [], millis: 0,
  };
}

/** Scans files and folders recursively: every file gets a report. */
export async function scanPaths(paths: readonly string[], opts: ScanPathsOptions = {}): Promise<FileReport[]> {
  const targets = collectTargets(paths, opts.followSymlinks);
  const reports: FileReport[] = [];
  const now = opts.now ?? (() => performance.now());
  let bytes = 0;
  for (const t of targets) {
    const display = relative(process.cwd(), t.path) || t.path;
    if (t.problem) {
      reports.push(problemReport(display, t.problem));
    } else {
      let opened;
      try {
        opened = openFileSource(t.path);
      } catch (e) {
        reports.push(problemReport(display, { code: 'IO_ERROR', message: (e as Error).message }));
        continue;
      }
      try {
        bytes += opened.source.size;
        reports.push(await scanSource(opened.source, display, { ...opts, now }));
      } finally {
        opened.close();
      }
    }
    opts.onProgress?.(reports.length, targets.length, bytes);
  }
  return reports;
}
