import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MvError } from '../../src/core/index.js';
import { writeSafetensors } from '../../src/formats/safetensors/index.js';

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'mv-reg-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small valid safetensors file whose bytes depend on `seed`. */
export function safetensorsBytes(seed: number, floats = 16): Uint8Array {
  const data = new Float32Array(floats).map((_, i) => seed * 1000 + i);
  return writeSafetensors({ weight: { dtype: 'F32', shape: [floats], data: new Uint8Array(data.buffer) } }, { seed: String(seed) });
}

export function writeSafetensorsFile(dir: string, name: string, seed: number, floats = 16): string {
  const p = join(dir, name);
  writeFileSync(p, safetensorsBytes(seed, floats));
  return p;
}

/** Protocol-0 pickle calling os.system: the scanner must block it. */
export function maliciousPickleFile(dir: string, name = 'evil.pkl'): string {
  const p = join(dir, name);
  writeFileSync(p, Buffer.from("cos\nsystem\n(S'echo pwned'\ntR.", 'latin1'));
  return p;
}

export async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof MvError) return e.code;
    throw e;
  }
  return 'no error';
}
