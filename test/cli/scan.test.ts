import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const CORPUS = new URL('../../../shared/corpora/picklescan/', import.meta.url).pathname;
const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

describe('modelvault scan (CLI)', () => {
  it('exits 0 for clean files and names each verdict', () => {
    const r = runCli(['scan', join(CORPUS, 'data/benign0_v4.pkl'), join(EXAMPLES, 'predictor.joblib')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^CLEAN +.*benign0_v4\.pkl/m);
    expect(r.stdout).toMatch(/2 files scanned: 2 clean, 0 malicious, 0 unsafe, 0 incomplete/);
  });

  it('exits 1 when any file is malicious, with the rule, global and offset', () => {
    const r = runCli(['scan', join(CORPUS, 'data/malicious1_v4.pkl'), join(CORPUS, 'data/benign0_v4.pkl')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^MALICIOUS +.*malicious1_v4\.pkl/m);
    expect(r.stdout).toMatch(/critical SCAN_GLOBAL_DENIED: builtins\.eval .*\[byte \d+\]/);
  });

  it('exits 2 when nothing is worse than incomplete', () => {
    const r = runCli(['scan', join(CORPUS, 'data/bad_pytorch.pt')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^INCOMPLETE/m);
    expect(r.stdout).toMatch(/FORMAT_UNKNOWN/);
  });

  it('exits 2 for an empty folder: nothing scanned is not success', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mv-scan-empty-'));
    const r = runCli(['scan', dir]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/nothing was scanned/);
  });

  it('exits 4 on usage errors and 2 for a missing path, without a stack trace', () => {
    expect(runCli(['scan']).status).toBe(4);
    expect(runCli(['scan', '--format', 'xml', 'x']).status).toBe(4);
    const missing = runCli(['scan', '/nonexistent/model.pt']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/IO_NOT_FOUND/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('walks folders recursively, scanning by content whatever the names, and reports symlinks leaving the folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mv-scan-dir-'));
    mkdirSync(join(dir, 'sub'));
    copyFileSync(join(CORPUS, 'data2/dns_exfiltration.npy'), join(dir, 'sub/weights.txt'));
    copyFileSync(join(CORPUS, 'data/benign0_v3.pkl'), join(dir, 'model.bin'));
    symlinkSync('/etc/hostname', join(dir, 'escape.pkl'));
    const r = runCli(['scan', '--format', 'json', dir]);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    const byName = Object.fromEntries(j.files.map((f: { path: string }) => [f.path.split('/').pop(), f]));
    expect(byName['weights.txt'].class).toBe('malicious');
    expect(byName['model.bin'].status).toBe('clean');
    expect(byName['escape.pkl'].class).toBe('incomplete');
    expect(j.summary).toMatchObject({ files: 3, clean: 1, malicious: 1, incomplete: 1 });
  });

  it('writes the documented JSON shape and SARIF 2.1.0', () => {
    const file = join(CORPUS, 'data2/malicious1_crc.zip');
    const j = JSON.parse(runCli(['scan', '--format', 'json', file]).stdout);
    expect(j.tool.name).toBe('modelvault');
    const f = j.files[0];
    expect(f).toMatchObject({ format: 'zip', status: 'blocked', class: 'malicious' });
    expect(f.members).toEqual([{ name: 'data.pkl', format: 'pickle', size: expect.any(Number), action: 'scanned' }]);
    expect(f.findings.map((x: { rule: string }) => x.rule)).toEqual(expect.arrayContaining(['ZIP_CRC_MISMATCH', 'SCAN_GLOBAL_DENIED']));
    expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);

    const s = JSON.parse(runCli(['scan', '--format', 'sarif', file, join(CORPUS, 'data/bad_pytorch.pt')]).stdout);
    expect(s.version).toBe('2.1.0');
    const run = s.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toContain('SCAN_GLOBAL_DENIED');
    const denied = run.results.find((r: { ruleId: string }) => r.ruleId === 'SCAN_GLOBAL_DENIED');
    expect(denied.level).toBe('error');
    expect(denied.locations[0].physicalLocation.artifactLocation.uri).toMatch(/malicious1_crc\.zip#data\.pkl$/);
    expect(denied.locations[0].physicalLocation.region.byteOffset).toBeGreaterThan(0);
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].toolExecutionNotifications[0].descriptor.id).toBe('FORMAT_UNKNOWN');
  });

  it('lists the globals a file needs and accepts a policy file that extends the allow-list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mv-scan-policy-'));
    // pickle.dumps(fractions.Fraction(1, 3), protocol=4): harmless, but not on the default allow-list
    const pkl = Buffer.from('80049522000000000000008c096672616374696f6e73948c084672616374696f6e9493944b014b03869452942e', 'hex');
    writeFileSync(join(dir, 'c.pkl'), pkl);
    const listed = runCli(['scan', '--list-globals', join(dir, 'c.pkl')]);
    expect(listed.status).toBe(1);
    expect(listed.stdout).toMatch(/blocked +fractions\.Fraction/);
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ allow: [{ module: 'fractions', name: 'Fraction', reason: 'exact rational number' }] }));
    expect(runCli(['scan', '--policy', join(dir, 'policy.json'), join(dir, 'c.pkl')]).status).toBe(0);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ allow: [{ module: 'x' }] }));
    const bad = runCli(['scan', '--policy', join(dir, 'bad.json'), join(dir, 'c.pkl')]);
    expect(bad.status).toBe(4);
    expect(bad.stderr).toMatch(/USAGE_INVALID: policy file is invalid/);
  });

  it('has --help on the command and --version', () => {
    expect(runCli(['scan', '--help']).stdout).toMatch(/Exit codes: 0 all clean/);
    expect(runCli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
