import { readFileSync } from 'node:fs';
import { MvError } from '../../core/index.js';

/**
 * Shared option parsing of keygen/sign/verify/hash. Passphrases come from an environment variable or
 * a file, never from argv (visible in `ps`), and are never printed.
 */
export function readPassphrase(o: { passphraseEnv?: string; passphraseFile?: string }): string | undefined {
  if (o.passphraseEnv !== undefined && o.passphraseFile !== undefined) {
    throw new MvError('USAGE_INVALID', 'give either --passphrase-env or --passphrase-file, not both');
  }
  if (o.passphraseEnv !== undefined) {
    const v = process.env[o.passphraseEnv];
    if (v === undefined || v === '') throw new MvError('USAGE_INVALID', `environment variable ${o.passphraseEnv} is not set or empty`);
    return v;
  }
  if (o.passphraseFile !== undefined) {
    let v: string;
    try {
      v = readFileSync(o.passphraseFile, 'utf8');
    } catch (e) {
      throw new MvError('IO_ERROR', `cannot read passphrase file ${o.passphraseFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    v = v.replace(/\r?\n$/, '');
    if (v === '') throw new MvError('USAGE_INVALID', `passphrase file ${o.passphraseFile} is empty`);
    return v;
  }
  return undefined;
}

/** Reads a small text file (key, certificate, chain) for a command; errors name the file only. */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MvError(code === 'ENOENT' ? 'IO_NOT_FOUND' : 'IO_ERROR', `cannot read ${what} ${path} (${code ?? 'error'})`);
  }
}

/** Parses a positive integer option. */
export function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new MvError('USAGE_INVALID', `${flag} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
}
