/**
 * `modelvault quickstart` (loaded lazily by quickstart.ts; `npm start` runs it): from a fresh clone to
 * a signed, audited predictor served over the Open Inference Protocol. Every step is reused when its
 * result already exists, so a second run creates nothing new (see docs/serving.md § quickstart).
 *
 * Separation of duties stays ON: the example is pushed by a second identity, `quickstart-publisher`
 * (publisher role), and the OS user (admin, which includes approver) moves the protected `production`
 * alias to it — the same two-person flow a real deployment uses, with one person holding both keys.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MvError, isMvError } from '../../core/index.js';
import { generateSigningKey, signModel } from '../../host/index.js';
import { Registry, layoutOf, resolveRegistryDir, roleAtLeast } from '../../registry/index.js';
import type { CliContext } from '../main.js';
import { paint } from '../output.js';
import type { QuickstartCliOptions } from './quickstart.js';
import { osUser, printServing, startServing, untilSignal } from './serve-run.js';

export const QUICKSTART_MODEL = 'iris';
export const QUICKSTART_PUBLISHER = 'quickstart-publisher';
export const EXAMPLE_MODEL = fileURLToPath(new URL('../../../examples/predictor.joblib', import.meta.url));
const SAMPLE_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]];

const exists = async (p: string): Promise<boolean> => (await stat(p).catch(() => null)) !== null;

/** Step 2a: the development signing key (PKCS#8, 0600) and its public key beside it. */
async function ensureDevKey(dir: string): Promise<{ pem: string; path: string; created: boolean }> {
  const path = join(dir, 'dev-signing-key.pem');
  const pub = join(dir, 'dev-signing-key.pub');
  if (await exists(path)) return { pem: await readFile(path, 'utf8'), path, created: false };
  const { privatePem, publicPem } = generateSigningKey('p256');
  await writeFile(path, privatePem, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  await writeFile(pub, publicPem, { mode: 0o644 });
  return { pem: privatePem, path, created: true };
}

/** Step 2b: policy.json trusting the dev key and requiring signatures (an existing policy is kept). */
async function ensurePolicy(policy: string): Promise<boolean> {
  if (await exists(policy)) return false;
  const doc = { version: 1, requireSignature: true, keys: [{ name: 'quickstart-dev-key', publicKey: 'dev-signing-key.pub' }] };
  await writeFile(policy, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
  return true;
}

/** Step 3: the admin token; the stored one is reused while it still authenticates. */
async function ensureAdminToken(reg: Registry, admin: string, dir: string): Promise<{ token: string; path: string; created: boolean }> {
  const path = join(dir, 'admin-token');
  if (await exists(path)) {
    const token = (await readFile(path, 'utf8')).trim();
    const who = await reg.authenticate(token).catch(() => undefined);
    if (who === admin) return { token, path, created: false };
  }
  const t = await reg.createToken(admin, { expiresInSeconds: 30 * 24 * 3600, description: 'quickstart admin token' });
  await writeFile(path, `${t.token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return { token: t.token, path, created: true };
}

interface Imported {
  readonly version: number;
  readonly created: boolean;
  readonly aliasMoved: boolean;
  readonly signer: string | null;
  readonly digest: string;
  readonly scan: string;
}

/** Step 4: sign, push as the publisher identity, alias production as the admin. */
async function ensureExample(reg: Registry, admin: string, dir: string, keyPem: string): Promise<Imported> {
  const who = (await reg.listIdentities(admin)).find((i) => i.name === QUICKSTART_PUBLISHER);
  if (!who || who.disabledAt !== null || !roleAtLeast(who.role, 'publisher')) await reg.grant(admin, QUICKSTART_PUBLISHER, 'publisher');
  const sigDir = join(dir, 'quickstart');
  await mkdir(sigDir, { recursive: true, mode: 0o700 });
  const signature = join(sigDir, 'predictor.joblib.sig');
  const source = `sha256:${createHash('sha256').update(await readFile(EXAMPLE_MODEL)).digest('hex')}`;
  // Sign unless a signature over these exact bytes is already there (the statement names the digest).
  const old = await readFile(signature, 'utf8').catch(() => '');
  if (!old || !Buffer.from((JSON.parse(old) as { dsseEnvelope?: { payload?: string } }).dsseEnvelope?.payload ?? '', 'base64').toString('utf8').includes(source.slice(7))) {
    await signModel(EXAMPLE_MODEL, { privateKey: keyPem, signaturePath: signature });
  }
  const r = await reg.push(QUICKSTART_PUBLISHER, { file: EXAMPLE_MODEL, name: QUICKSTART_MODEL, signature, meta: { source: 'examples/predictor.joblib', via: 'modelvault quickstart' } });
  const a = await reg.setAlias(admin, QUICKSTART_MODEL, 'production', r.version);
  const v = await reg.showVersion(admin, { kind: 'version', model: QUICKSTART_MODEL, version: r.version });
  const scan = (v.version.provenance.scan as { status?: string } | undefined)?.status ?? 'clean';
  return { version: r.version, created: r.created, aliasMoved: a.changed, signer: r.signer, digest: r.digest, scan };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The ready-to-paste curl command (the token is read from its 0600 file, not pasted into history). */
export function curlCommand(url: string, tokenPath: string): string {
  const body = JSON.stringify({ id: 'quickstart-1', inputs: [{ name: 'input-0', shape: [SAMPLE_ROWS.length, 4], datatype: 'FP64', data: SAMPLE_ROWS.flat() }] });
  return `curl -s -H "Authorization: Bearer $(cat ${shellQuote(tokenPath)})" -H 'Content-Type: application/json' -d '${body}' ${url}/v2/models/${QUICKSTART_MODEL}/infer`;
}

export async function runQuickstart(o: QuickstartCliOptions, ctx: CliContext): Promise<void> {
  const out = ctx.output;
  const step = (s: string): void => out.out(`${paint(out, 'cyan', '•')} ${s}`);
  const dir = resolveRegistryDir(o.registry);
  const admin = osUser();
  const fresh = !(await exists(layoutOf(dir).db));
  const reg = fresh ? await Registry.init(dir, { admin, separationOfDuties: true }) : await Registry.open(dir);
  let served = false;
  try {
    const role = await reg.roleOf(admin);
    if (!role || !roleAtLeast(role, 'admin')) throw new MvError('AUTH_FORBIDDEN', `${admin} is not an admin of ${dir}; run the quickstart with another --registry`);
    step(`${fresh ? 'created' : 'reusing'} registry ${dir} (admin ${admin}, separation of duties ${reg.settings().separationOfDuties ? 'on' : 'off'})`);
    const key = await ensureDevKey(reg.layout.dir);
    const policy = await ensurePolicy(reg.layout.policy);
    step(`${key.created ? 'created' : 'reusing'} development signing key ${key.path} (0600); ${policy ? 'created' : 'kept'} trust policy ${reg.layout.policy}`);
    const tok = await ensureAdminToken(reg, admin, reg.layout.dir);
    if (tok.created) {
      step(`admin token (shown only now; stored 0600 in ${tok.path}):`);
      out.out(`    ${tok.token}`);
    } else step(`reusing the admin token in ${tok.path}`);
    let imp: Imported;
    try {
      imp = await ensureExample(reg, admin, reg.layout.dir, key.pem);
    } catch (e) {
      if (isMvError(e) && e.code.startsWith('SIG_')) {
        throw new MvError(e.code, `${e.message} (the registry's policy.json must trust ${join(reg.layout.dir, 'dev-signing-key.pub')}; or use a fresh --registry)`);
      }
      throw e;
    }
    step(`${imp.created ? 'imported' : 'reusing'} examples/predictor.joblib as ${QUICKSTART_MODEL}:${imp.version} — scan ${imp.scan}, signed by ${imp.signer?.replace(/([0-9a-f]{12})[0-9a-f]{52}/, '$1…') ?? 'nobody'}, converted to modelvault/1 ${imp.digest.slice(0, 19)}…, pushed by ${QUICKSTART_PUBLISHER}`);
    step(`alias ${QUICKSTART_MODEL}@production ${imp.aliasMoved ? 'set' : 'already'} → ${imp.version} (by ${admin}; audited)`);
    if (!o.serve) {
      out.out(`\nStart the server with: modelvault serve --registry ${shellQuote(reg.layout.dir)}`);
      out.out(`Then: ${curlCommand(`http://127.0.0.1:8080`, tok.path)}`);
      return;
    }
    const s = await startServing({ registry: reg, actor: admin, host: o.host, port: o.port, logLevel: o.logLevel, version: ctx.version });
    served = true;
    printServing(s, o.host, ctx);
    const url = s.urls.find((u) => u.startsWith('http://127.')) ?? s.urls[0]!;
    out.out(`\nTry it (Open Inference Protocol, two iris rows):\n\n  ${curlCommand(url, tok.path)}\n`);
    out.out(`Docs: ${url}/docs   Metrics: ${url}/metrics (same token)   Stop: Ctrl-C`);
    const sig = await untilSignal();
    out.err(`${sig}: shutting down`);
    await s.close();
  } finally {
    if (!served) reg.close();
  }
}
