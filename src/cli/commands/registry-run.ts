/**
 * Implementations of the registry commands (loaded lazily by push.ts, pull.ts, … so that other
 * commands never load better-sqlite3). Every command opens the registry, resolves the acting
 * identity (the OS user, or $MODELVAULT_TOKEN), calls the Registry API and prints text or JSON.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { MvError } from '../../core/index.js';
import {
  Registry, parseMetaPairs, parseRef, parseRole, parseVersionNumber, resolveRegistryDir,
  type AliasMove, type VersionRecord, type VersionRef,
} from '../../registry/index.js';
import { ExitCode, type CliContext } from '../main.js';
import { paint } from '../output.js';
import type { AuditExportCliOptions, AuditLogCliOptions, AuditProofCliOptions } from './audit.js';
import type { DeleteCliOptions } from './delete.js';
import type { ReasonCliOptions } from './deprecate.js';
import type { InitCliOptions } from './init.js';
import type { PullCliOptions } from './pull.js';
import type { PushCliOptions } from './push.js';
import type { RegistryCliOptions } from './registry-options.js';
import type { TokenCreateCliOptions } from './token.js';

const osUser = (): string => {
  try {
    return userInfo().username;
  } catch {
    throw new MvError('USAGE_INVALID', 'cannot tell the OS user name');
  }
};

async function open(o: RegistryCliOptions): Promise<{ reg: Registry; actor: string }> {
  const reg = await Registry.open(resolveRegistryDir(o.registry));
  try {
    const token = process.env.MODELVAULT_TOKEN;
    const actor = token ? await reg.authenticate(token) : osUser();
    return { reg, actor };
  } catch (e) {
    reg.close();
    throw e;
  }
}

async function withReg<T>(o: RegistryCliOptions, fn: (reg: Registry, actor: string) => Promise<T>): Promise<T> {
  const { reg, actor } = await open(o);
  try {
    return await fn(reg, actor);
  } finally {
    reg.close();
  }
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
const short = (d: string): string => `${d.slice(0, 19)}…`;
const json = (ctx: CliContext, v: unknown): void => ctx.output.out(JSON.stringify(v, null, 2));

function humanBytes(n: number): string {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = n;
  while (x >= 1000 && i < u.length - 1) {
    x /= 1000;
    i++;
  }
  return `${i ? x.toFixed(1) : x} ${u[i]}`;
}

/** `NAME:VERSION` / `NAME@ALIAS` only (no bare model name). */
function versionRef(s: string): Exclude<VersionRef, { kind: 'model' }> {
  const r = parseRef(s);
  if (r.kind === 'model') throw new MvError('USAGE_INVALID', `give a version or alias: ${s}:N or ${s}@ALIAS`);
  return r;
}

// ── init ───────────────────────────────────────────────────────────────────────────────────
export async function runInit(o: InitCliOptions, ctx: CliContext): Promise<void> {
  const dir = resolveRegistryDir(o.registry);
  const reg = await Registry.init(dir, {
    admin: o.admin ?? osUser(),
    ...(o.origin !== undefined ? { origin: o.origin } : {}),
    ...(o.protectedAlias ? { protectedAliases: o.protectedAlias } : {}),
    separationOfDuties: o.separationOfDuties,
  });
  try {
    const s = reg.settings();
    if (o.json) json(ctx, { dir, ...s, admin: o.admin ?? osUser(), vkey: reg.vkey() });
    else {
      ctx.output.out(`Initialised registry ${dir}`);
      ctx.output.out(`  admin: ${o.admin ?? osUser()}`);
      ctx.output.out(`  protected aliases: ${s.protectedAliases.join(', ') || '(none)'}; separation of duties: ${s.separationOfDuties ? 'on' : 'off'}`);
      ctx.output.out(`  audit log vkey: ${reg.vkey()}`);
    }
  } finally {
    reg.close();
  }
}

// ── push / pull ────────────────────────────────────────────────────────────────────────────
export async function runPush(file: string, o: PushCliOptions, ctx: CliContext): Promise<void> {
  const meta = parseMetaPairs(o.meta ?? []);
  await withReg(o, async (reg, actor) => {
    const r = await reg.push(actor, {
      file, name: o.name, meta, keepOriginal: o.keepOriginal === true, ...(o.signature !== undefined ? { signature: o.signature } : {}),
    });
    if (o.receipt) await writeFile(o.receipt, r.receipt);
    if (o.json) return json(ctx, r);
    const out = ctx.output;
    if (!r.created) {
      out.out(`${paint(out, 'yellow', 'Unchanged')}: these bytes are already ${r.model}:${r.version} (${r.digest}); no new version`);
      return;
    }
    out.out(`${paint(out, 'green', 'Pushed')} ${r.model}:${r.version} ${r.digest} (${r.format}, ${humanBytes(r.size)})${r.converted ? ` converted from ${r.sourceDigest}` : ''}`);
    out.out(`  signer: ${r.signer ?? 'unsigned'}; audit entry #${r.auditIndex}${o.receipt ? `, receipt in ${o.receipt}` : ''}`);
  });
}

export async function runPull(ref: string, o: PullCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    if (ref.startsWith('sha256:')) {
      const r = await reg.pullDigest(actor, ref, o.output);
      if (o.json) return json(ctx, { digest: ref, path: o.output, size: r.size });
      ctx.output.out(`Pulled ${ref} to ${o.output} (${humanBytes(r.size)}, digest verified)`);
      return;
    }
    const r = await reg.pull(actor, versionRef(ref), o.output);
    if (o.json) return json(ctx, { model: r.version.model, version: r.version.version, digest: r.version.digest, format: r.version.format, status: r.version.status, path: r.path, size: r.size });
    ctx.output.out(`Pulled ${r.version.model}:${r.version.version} ${r.version.digest} to ${r.path} (${humanBytes(r.size)}, digest verified)`);
    if (r.version.status === 'deprecated') ctx.output.err(`${paint(ctx.output, 'yellow', 'warning')}: this version is deprecated: ${r.version.statusReason ?? ''}`);
  });
}

// ── list / show ────────────────────────────────────────────────────────────────────────────
export async function runList(o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const rows = await reg.listModels(actor);
    if (o.json) return json(ctx, rows);
    if (!rows.length) return ctx.output.out('(no models)');
    for (const r of rows) {
      const aliases = r.aliases.map((a) => `${a.alias}→${a.version}`).join(' ');
      ctx.output.out(`${r.model.name}  versions: ${r.versions}  latest: ${r.latest ?? '-'}${aliases ? `  ${aliases}` : ''}`);
    }
  });
}

function versionLine(v: VersionRecord): string {
  const st = v.status === 'ready' ? '' : ` [${v.status}${v.statusReason ? `: ${v.statusReason}` : ''}]`;
  return `${v.version}  ${short(v.digest)}  ${v.format}  ${humanBytes(v.size)}  ${v.createdBy}  ${iso(v.createdAt)}  ${v.signer ?? 'unsigned'}${st}`;
}

export async function runShow(ref: string, o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const r = parseRef(ref);
    const out = ctx.output;
    if (r.kind === 'model') {
      const m = await reg.showModel(actor, r.model);
      if (o.json) return json(ctx, m);
      out.out(`${m.model.name}  created ${iso(m.model.createdAt)} by ${m.model.createdBy}${m.model.deletedAt !== null ? `  [deleted by ${m.model.deletedBy}]` : ''}`);
      for (const v of m.versions) out.out(`  ${versionLine(v)}`);
      for (const a of m.aliases) out.out(`  @${a.alias} → ${a.version} (by ${a.updatedBy}, ${iso(a.updatedAt)})`);
      for (const t of m.tags) out.out(`  tag ${t.version === null ? '' : `${t.version}:`}${t.key}=${t.value}`);
      return;
    }
    const s = await reg.showVersion(actor, r);
    if (o.json) return json(ctx, s);
    const v = s.version;
    out.out(`${v.model}:${v.version}  ${v.digest}`);
    out.out(`  ${versionLine(v)}`);
    if (s.aliases.length) out.out(`  aliases: ${s.aliases.join(', ')}`);
    for (const t of s.tags) out.out(`  tag ${t.key}=${t.value}`);
    out.out(`  provenance: ${JSON.stringify(v.provenance, (k, x) => (k === 'bundle' ? '(bundle)' : x), 2).replace(/\n/g, '\n  ')}`);
  });
}

// ── aliases / tags / lifecycle ─────────────────────────────────────────────────────────────
export async function runAliasSet(name: string, alias: string, version: string, o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const r = await reg.setAlias(actor, name, alias, parseVersionNumber(version));
    if (o.json) return json(ctx, r);
    ctx.output.out(r.changed ? `${name}@${alias}: ${r.from ?? '(new)'} → ${r.to} (audit entry #${r.auditIndex})` : `${name}@${alias} already points at ${r.to}`);
  });
}

export async function runAliasDelete(name: string, alias: string, o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const r = await reg.deleteAlias(actor, name, alias);
    if (o.json) return json(ctx, r);
    ctx.output.out(`Removed ${name}@${alias} (audit entry #${r.auditIndex})`);
  });
}

export async function runAliasHistory(name: string, alias: string | undefined, o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const h: AliasMove[] = await reg.aliasHistory(actor, name, alias);
    if (o.json) return json(ctx, h);
    if (!h.length) return ctx.output.out('(no alias moves)');
    for (const m of h) ctx.output.out(`${iso(m.time)}  ${m.actor}  @${m.alias}  ${m.from ?? '-'} → ${m.to ?? '-'}  audit #${m.auditIndex}`);
  });
}

function tagTarget(ref: string): { model: string; version: number | null } {
  const r = parseRef(ref);
  if (r.kind === 'alias') throw new MvError('USAGE_INVALID', 'tag a model (NAME) or a version (NAME:VERSION), not an alias');
  return { model: r.model, version: r.kind === 'version' ? r.version : null };
}

export async function runTagSet(ref: string, key: string, value: string, o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  const t = tagTarget(ref);
  await withReg(o, async (reg, actor) => {
    const r = await reg.setTag(actor, t.model, t.version, key, value);
    if (o.json) return json(ctx, r);
    ctx.output.out(`Tagged ${ref} ${key}=${value} (audit entry #${r.auditIndex})`);
  });
}

export async function runTagDelete(ref: string, key: string, o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  const t = tagTarget(ref);
  await withReg(o, async (reg, actor) => {
    const r = await reg.deleteTag(actor, t.model, t.version, key);
    if (o.json) return json(ctx, r);
    ctx.output.out(`Removed tag ${key} from ${ref} (audit entry #${r.auditIndex})`);
  });
}

export async function runDeprecate(ref: string, o: ReasonCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const v = await reg.resolve(actor, versionRef(ref));
    const r = await reg.deprecate(actor, v.model, v.version, o.reason);
    if (o.json) return json(ctx, r);
    ctx.output.out(`Deprecated ${v.model}:${v.version} (audit entry #${r.auditIndex})`);
  });
}

export async function runDelete(ref: string, o: DeleteCliOptions, ctx: CliContext): Promise<void> {
  if (!o.yes) throw new MvError('USAGE_INVALID', 'deleting needs --yes (the bytes go; the audit trail stays)');
  const r = parseRef(ref);
  if (r.kind === 'alias') throw new MvError('USAGE_INVALID', 'delete NAME:VERSION or NAME (use alias delete for aliases)');
  await withReg(o, async (reg, actor) => {
    const res = r.kind === 'model' ? await reg.deleteModel(actor, r.model, o.reason) : await reg.deleteVersion(actor, r.model, r.version, o.reason);
    if (o.json) return json(ctx, res);
    ctx.output.out(`Deleted ${ref} (tombstone; audit entry #${res.auditIndex})`);
  });
}

// ── audit ──────────────────────────────────────────────────────────────────────────────────
const nonNegative = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,14})$/.test(v)) throw new MvError('USAGE_INVALID', `${flag} must be a non-negative integer`);
  return Number(v);
};

export async function runAuditLog(o: AuditLogCliOptions, ctx: CliContext): Promise<void> {
  const from = nonNegative(o.from, '--from');
  const limit = nonNegative(o.limit, '--limit');
  await withReg(o, async (reg, actor) => {
    const entries = await reg.auditEntries(actor, { ...(from !== undefined ? { from } : {}), ...(limit !== undefined ? { limit } : {}), ...(o.model ? { model: o.model } : {}) });
    if (o.json) return json(ctx, entries.map((e) => ({ index: e.index, event: e.event })));
    for (const { index, event: e } of entries) {
      const s = e.subject;
      const what = s.model === null ? '' : ` ${s.model}${s.version === null ? '' : `:${s.version}`}`;
      const change = e.before === null && e.after === null ? '' : ` ${JSON.stringify(e.before)} → ${JSON.stringify(e.after)}`;
      ctx.output.out(`#${index} ${e.time} ${e.actor} ${e.action}${what}${change}${e.reason ? ` (${e.reason})` : ''}`);
    }
  });
}

export async function runAuditVerify(o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  const ok = await withReg(o, async (reg, actor) => {
    const r = await reg.auditVerify(actor);
    const out = ctx.output;
    if (o.json) json(ctx, r);
    else if (r.ok) out.out(`${paint(out, 'green', 'Audit log verified')}: ${r.log.size} entries, ${r.log.checkpoints} checkpoint(s), registry state matches the log`);
    else {
      out.out(`${paint(out, 'red', 'Audit log verification FAILED')}: ${r.log.problems.length + r.state.length} problem(s)`);
      for (const p of r.log.problems) out.out(`  ${p.kind}: ${p.message}`);
      for (const p of r.state) out.out(`  ${p.kind}: ${p.message}`);
    }
    return r.ok;
  });
  if (!ok) throw new ExitCode(1);
}

export async function runAuditProof(index: string | undefined, o: AuditProofCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    if (o.from !== undefined) {
      if (index !== undefined) throw new MvError('USAGE_INVALID', 'give INDEX (inclusion) or --from (consistency), not both');
      const to = nonNegative(o.to, '--to');
      ctx.output.out((await reg.auditConsistency(actor, nonNegative(o.from, '--from')!, to)).trimEnd());
      return;
    }
    if (index === undefined) throw new MvError('USAGE_INVALID', 'give the entry INDEX, or --from M for a consistency proof');
    ctx.output.out((await reg.auditReceipt(actor, nonNegative(index, 'INDEX')!, nonNegative(o.size, '--size'))).trimEnd());
  });
}

export async function runAuditExport(o: AuditExportCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    if (!o.output) {
      for await (const line of reg.auditExport(actor)) ctx.output.out(line);
      return;
    }
    const ws = createWriteStream(o.output, { flags: 'wx' });
    const done = new Promise<void>((res, rej) => {
      ws.on('finish', res);
      ws.on('error', (e) => rej(new MvError('IO_ERROR', `cannot write ${o.output}: ${(e as NodeJS.ErrnoException).code ?? e}`)));
    });
    let n = 0;
    for await (const line of reg.auditExport(actor)) {
      if (!ws.write(`${line}\n`)) await new Promise<void>((r) => ws.once('drain', () => r()));
      n++;
    }
    ws.end();
    await done;
    ctx.output.err(`wrote ${n} lines to ${o.output}`);
  });
}

export async function runAuditCheckpoint(o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => ctx.output.out((await reg.auditCheckpoint(actor)).trimEnd()));
}

export async function runAuditVkey(o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg) => ctx.output.out(reg.vkey()));
}

// ── tokens / identities ────────────────────────────────────────────────────────────────────
export function parseDuration(s: string): number {
  const m = /^([1-9][0-9]{0,9})([smhd]?)$/.exec(s);
  if (!m) throw new MvError('USAGE_INVALID', `--expires-in must look like 3600s, 90m, 12h or 30d, got ${JSON.stringify(s.slice(0, 20))}`);
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * mult;
}

export async function runTokenCreate(o: TokenCreateCliOptions, ctx: CliContext): Promise<void> {
  const secs = o.expiresIn === undefined ? undefined : parseDuration(o.expiresIn);
  await withReg(o, async (reg, actor) => {
    const t = await reg.createToken(actor, {
      ...(o.identity !== undefined ? { identity: o.identity } : {}),
      ...(secs !== undefined ? { expiresInSeconds: secs } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
    });
    if (o.json) return json(ctx, { id: t.id, token: t.token, identity: t.identity, expires_at: iso(t.expiresAt), audit_index: t.auditIndex });
    ctx.output.out(t.token);
    ctx.output.err(`token ${t.id} for ${t.identity}, expires ${iso(t.expiresAt)}. It is shown only now: store it safely (MODELVAULT_TOKEN).`);
  });
}

export async function runTokenRevoke(id: string, o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const r = await reg.revokeToken(actor, id);
    if (o.json) return json(ctx, r);
    ctx.output.out(`Revoked token ${id} (audit entry #${r.auditIndex})`);
  });
}

export async function runTokenList(o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const rows = await reg.listTokens(actor);
    if (o.json) return json(ctx, rows);
    if (!rows.length) return ctx.output.out('(no tokens)');
    const now = Date.now();
    for (const t of rows) {
      const state = t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active';
      ctx.output.out(`${t.id}  ${t.identity}  ${state}  created ${iso(t.createdAt)}  expires ${iso(t.expiresAt)}${t.description ? `  ${t.description}` : ''}`);
    }
  });
}

export async function runIdentityGrant(name: string, role: string, o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  const r = parseRole(role);
  await withReg(o, async (reg, actor) => {
    const res = await reg.grant(actor, name, r);
    if (o.json) return json(ctx, res);
    ctx.output.out(`${name} is now ${r} (audit entry #${res.auditIndex})`);
  });
}

export async function runIdentityDisable(name: string, o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const res = await reg.disableIdentity(actor, name);
    if (o.json) return json(ctx, res);
    ctx.output.out(`Disabled ${name} (audit entry #${res.auditIndex})`);
  });
}

export async function runIdentityList(o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const rows = await reg.listIdentities(actor);
    if (o.json) return json(ctx, rows);
    for (const i of rows) ctx.output.out(`${i.name}  ${i.role}${i.disabledAt !== null ? '  [disabled]' : ''}  created ${iso(i.createdAt)} by ${i.createdBy}`);
  });
}

export async function runWhoami(o: RegistryCliOptions, ctx: CliContext): Promise<void> {
  await withReg(o, async (reg, actor) => {
    const role = (await reg.roleOf(actor)) ?? null;
    if (o.json) return json(ctx, { identity: actor, role });
    ctx.output.out(`${actor} (${role ?? 'no role in this registry'})`);
  });
}
