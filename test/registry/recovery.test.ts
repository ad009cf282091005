/** Deterministic leftovers (the random ones are in processes.test.ts). */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Registry, defaultConverter, type Converter } from '../../src/registry/index.js';
import { codeOf, safetensorsBytes, tempDir, writeSafetensorsFile } from './helpers.js';

const T = tempDir('mv-reg-rec-');
afterAll(T.cleanup);
const DEAD_PID = spawnSync('true').pid!; // a process that has exited
const SKLEARN = join(import.meta.dirname, '../fixtures/sklearn/decision_tree_classifier.joblib');

describe('open removes leftovers of dead processes', () => {
  it('staging folders, temp files, stale pending rows and orphan blobs; keeps what live versions use', async () => {
    const dir = join(T.dir, 'r1');
    const reg = await Registry.init(dir, { admin: 'a' });
    const kept = await reg.push('a', { file: writeSafetensorsFile(T.dir, 'k.safetensors', 1), name: 'm' });
    const orphan = await reg.blobs.putBytes(safetensorsBytes(2));
    await reg.store.write(async (tx) => {
      await tx.addPending(orphan.digest, DEAD_PID, 0);
    });
    const stage = join(dir, 'tmp', `.tmp-${DEAD_PID}-0123456789ab`);
    mkdirSync(stage);
    writeFileSync(join(stage, 'half.bin'), 'x');
    const shard = join(dir, 'blobs', 'sha256', kept.digest.slice(7, 9));
    writeFileSync(join(shard, `.tmp-${DEAD_PID}-0123456789ab`), 'partial');
    const mine = join(dir, 'tmp', `.tmp-${process.pid}-0123456789ab`); // a live process's staging: kept
    mkdirSync(mine);
    reg.close();

    const again = await Registry.open(dir);
    expect(again.recovered).toMatchObject({ stagingDirs: 1, tempFiles: 1, stalePending: 1, orphanBlobs: 1 });
    expect(existsSync(stage)).toBe(false);
    expect(existsSync(mine)).toBe(true);
    expect(await again.blobs.has(orphan.digest)).toBe(false);
    expect(await again.blobs.verify(kept.digest)).toBe(true);
    expect(readdirSync(shard)).toEqual([kept.digest.slice(7)]);
    expect((await again.auditVerify('a')).ok).toBe(true);
    again.close();
  });
});

describe('a push that fails after storing its blob', () => {
  it('removes the blob it stored (no leak in a long-running process)', async () => {
    const dir = join(T.dir, 'r2');
    (await Registry.init(dir, { admin: 'a' })).close();
    let reg: Registry | undefined;
    // the converter runs after the pre-checks and before the blob is stored: deleting the model from
    // inside it makes the push's final transaction find a tombstone after its blob was written
    const racing: Converter = {
      async convert(input) {
        const out = await defaultConverter.convert(input);
        await reg!.deleteModel('a', 'm', 'deleted while a push was running');
        return out;
      },
    };
    reg = await Registry.open(dir, { converter: racing });
    await reg.push('a', { file: writeSafetensorsFile(T.dir, 'first.safetensors', 3), name: 'm' });
    const f = join(T.dir, 'tree.joblib');
    copyFileSync(SKLEARN, f);
    expect(await codeOf(reg.push('a', { file: f, name: 'm' }))).toBe('REG_GONE');
    expect(await reg.blobs.list()).toEqual([]); // version 1's blob went with the delete, the new one with the failure
    expect(await reg.store.listPending()).toEqual([]);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect((await reg.auditVerify('a')).ok).toBe(true);
    reg.close();
  });
});
