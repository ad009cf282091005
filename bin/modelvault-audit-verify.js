#!/usr/bin/env node
// modelvault-audit-verify: a standalone, dependency-free offline verifier for modelvault audit logs.
// Uses only node: built-ins so it can be copied anywhere and audited on its own (one file, ~300 lines).
//
// It checks, against a pinned verifier key (C2SP vkey):
//   * a signed checkpoint (c2sp.org/tlog-checkpoint, Ed25519 signed note, c2sp.org/signed-note);
//   * a receipt (c2sp.org/tlog-proof@v1): the entry (from --entry or the receipt's `extra` line) is
//     included in the receipt's checkpoint (RFC 9162 §2.1.3.2);
//   * consistency (RFC 9162 §2.1.4.2) from an older checkpoint, and from the receipt's checkpoint, to
//     the newest checkpoint, with modelvault.dev/consistency-proof@v1 files.
//
// Exit codes: 0 verified, 1 verification failed (bad signature, proof, format), 2 usage or I/O error.
// Formats: docs/audit.md. Spec: ../shared/spec/signing.md §5.
import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = `usage: modelvault-audit-verify --vkey VKEY|@FILE [--checkpoint FILE] [--receipt FILE [--entry FILE]]
                               [--old-checkpoint FILE] [--consistency FILE ...] [--origin ORIGIN] [--json]

  --vkey             the log's verifier key (name+keyid+base64), or @file containing it
  --checkpoint       the newest signed checkpoint you trust (e.g. fetched from GET /log/checkpoint)
  --receipt          a c2sp.org/tlog-proof@v1 receipt for one entry
  --entry            the entry's canonical bytes (default: the receipt's extra line)
  --old-checkpoint   a checkpoint you stored earlier; must be a prefix of --checkpoint
  --consistency      a modelvault.dev/consistency-proof@v1 file (repeatable): old→new, receipt→new
  --origin           expected log origin (default: the vkey's name)
  --json             print a JSON summary instead of text
`;

class VerifyError extends Error {}
class UsageError extends Error {}
const fail = (msg) => { throw new VerifyError(msg); };

// ── encoding helpers ───────────────────────────────────────────────────────────────────────────
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function b64(s, what) {
  if (!B64_RE.test(s)) fail(`${what} is not valid base64`);
  const b = Buffer.from(s, 'base64');
  if (b.toString('base64') !== s) fail(`${what} is not canonical base64`);
  return b;
}
function decimal(s, what) {
  if (!/^(?:0|[1-9][0-9]{0,19})$/.test(s)) fail(`${what} is not a canonical decimal`);
  const v = BigInt(s);
  if (v >= 1n << 64n) fail(`${what} is out of range`);
  return v;
}
const sha256 = (...parts) => { const h = createHash('sha256'); for (const p of parts) h.update(p); return h.digest(); };
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
const validName = (s) => s.length > 0 && !/[\s\u0085+]/u.test(s) && !CONTROL.test(s);
function utf8(buf, what) {
  try { return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf); } catch { fail(`${what} is not valid UTF-8`); }
}

// ── RFC 6962 hashing and RFC 9162 verification (bigint arithmetic: sizes are untrusted) ─────────
const hashLeaf = (d) => sha256(Buffer.from([0]), d);
const hashChildren = (l, r) => sha256(Buffer.from([1]), l, r);
const lsb = (x) => (x & 1n) === 1n;
const eq = (a, b) => a.length === b.length && a.equals(b);

function verifyInclusion(leaf, index, size, proof, root) {
  if (proof.length > 65) fail('inclusion proof is too long');
  if (index >= size) fail(`index ${index} is not below tree size ${size}`);
  let fn = index, sn = size - 1n, r = leaf;
  for (const p of proof) {
    if (sn === 0n) fail('inclusion proof is too long');
    if (lsb(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!lsb(fn) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n || !eq(r, root)) fail('inclusion proof does not lead to the checkpoint root');
}

function verifyConsistency(first, second, proof, firstRoot, secondRoot) {
  if (proof.length > 65) fail('consistency proof is too long');
  if (first > second) fail(`tree shrank from ${first} to ${second} (rollback)`);
  if (first === second) {
    if (proof.length || !eq(firstRoot, secondRoot)) fail(`different roots at the same size ${first} (fork)`);
    return;
  }
  if (first === 0n) { if (proof.length) fail('proof from the empty tree must be empty'); return; }
  if (proof.length === 0) fail('consistency proof is empty');
  const path = (first & (first - 1n)) === 0n ? [firstRoot, ...proof] : proof;
  let fn = first - 1n, sn = second - 1n;
  while (lsb(fn)) { fn >>= 1n; sn >>= 1n; }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) fail('consistency proof is too long');
    if (lsb(fn) || fn === sn) {
      fr = hashChildren(c, fr); sr = hashChildren(c, sr);
      while (!lsb(fn) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      sr = hashChildren(sr, c);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (!eq(fr, firstRoot) || !eq(sr, secondRoot) || sn !== 0n) fail(`checkpoints of size ${first} and ${second} are not consistent (fork)`);
}

// ── C2SP vkey, signed note, checkpoint ─────────────────────────────────────────────────────────
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
function parseVkey(text) {
  const s = text.trim();
  const a = s.indexOf('+');
  const b = a < 0 ? -1 : s.indexOf('+', a + 1); // split on the first two '+' only
  if (b < 0) throw new UsageError('vkey must be name+keyid+base64key');
  const name = s.slice(0, a), idHex = s.slice(a + 1, b);
  let key;
  try { key = b64(s.slice(b + 1), 'vkey key'); } catch (e) { throw new UsageError(e.message); }
  if (!validName(name) || !/^[0-9a-fA-F]{8}$/.test(idHex)) throw new UsageError('malformed vkey');
  if (key.length !== 33 || key[0] !== 0x01) throw new UsageError('only Ed25519 (type 0x01) vkeys are supported');
  const keyId = parseInt(idHex, 16) >>> 0;
  const computed = sha256(Buffer.from(name, 'utf8'), Buffer.from([0x0a]), key).readUInt32BE(0);
  if (computed !== keyId) throw new UsageError('vkey key ID does not match its key');
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519, key.subarray(1)]), format: 'der', type: 'spki' });
  return { name, keyId, publicKey };
}

/** Returns the signed text if the trusted key signed the note; ignores unknown keys (signed-note). */
function verifyNote(buf, vkey, what) {
  if (buf.length > 1 << 20) fail(`${what} is too large`);
  const msg = utf8(buf, what);
  if (CONTROL.test(msg)) fail(`${what} contains control characters`);
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) fail(`${what} has no signature block`);
  const text = msg.slice(0, split + 1), sigs = msg.slice(split + 2);
  if (!sigs.endsWith('\n')) fail(`${what}: signature block must end with a newline`);
  const lines = sigs.slice(0, -1).split('\n');
  if (lines.length > 100) fail(`${what} has too many signatures`);
  let ok = false;
  for (const line of lines) {
    if (!line.startsWith('\u2014 ')) fail(`${what}: signature line must start with an em dash`);
    const rest = line.slice(2), sp = rest.indexOf(' ');
    if (sp <= 0) fail(`${what}: malformed signature line`);
    const name = rest.slice(0, sp), sig = b64(rest.slice(sp + 1), `${what} signature`);
    if (!validName(name) || sig.length < 5) fail(`${what}: malformed signature line`);
    if (name !== vkey.name || sig.readUInt32BE(0) !== vkey.keyId) continue; // unknown key: ignore
    const good = sig.length === 68 && edVerify(null, Buffer.from(text, 'utf8'), vkey.publicKey, sig.subarray(4));
    if (!good) fail(`${what}: signature by ${name} does not verify`);
    ok = true;
  }
  if (!ok) fail(`${what} is not signed by ${vkey.name}`);
  return text;
}

function openCheckpoint(buf, vkey, origin, what) {
  const text = verifyNote(buf, vkey, what);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) fail(`${what} needs origin, size and root lines`);
  const [o, sizeLine, rootLine, ...ext] = lines;
  if (o !== origin) fail(`${what} is for origin ${JSON.stringify(o)}, expected ${JSON.stringify(origin)}`);
  const size = decimal(sizeLine, `${what} tree size`);
  const root = b64(rootLine, `${what} root`);
  if (root.length !== 32) fail(`${what} root must be 32 bytes`);
  if (ext.some((e) => e === '')) fail(`${what} has an empty extension line`);
  return { size, root, note: buf.toString('utf8') };
}

// ── tlog-proof receipt and consistency proof files ─────────────────────────────────────────────
function parseReceipt(buf) {
  const s = utf8(buf, 'receipt');
  let pos = 0;
  const next = () => {
    const nl = s.indexOf('\n', pos);
    if (nl < 0) fail('receipt ends before its checkpoint');
    const line = s.slice(pos, nl); pos = nl + 1; return line;
  };
  if (next() !== 'c2sp.org/tlog-proof@v1') fail('receipt must start with c2sp.org/tlog-proof@v1');
  let line = next(), extra;
  if (line.startsWith('extra ')) { extra = b64(line.slice(6), 'receipt extra'); line = next(); }
  if (!line.startsWith('index ')) fail('receipt has no index line');
  const index = decimal(line.slice(6), 'receipt index');
  const proof = [];
  for (line = next(); line !== ''; line = next()) {
    const h = b64(line, 'receipt proof hash');
    if (h.length !== 32 || proof.length >= 65) fail('receipt proof hashes must be 32 bytes (at most 65)');
    proof.push(h);
  }
  return { extra, index, proof, checkpoint: Buffer.from(s.slice(pos), 'utf8') };
}

function parseConsistency(buf, file) {
  const s = utf8(buf, file);
  if (!s.endsWith('\n')) fail(`${file} must end with a newline`);
  const lines = s.slice(0, -1).split('\n');
  if (lines[0] !== 'modelvault.dev/consistency-proof@v1') fail(`${file} is not a modelvault.dev/consistency-proof@v1 file`);
  if (!lines[1]?.startsWith('from ') || !lines[2]?.startsWith('to ')) fail(`${file} needs from/to lines`);
  const from = decimal(lines[1].slice(5), 'from'), to = decimal(lines[2].slice(3), 'to');
  const proof = lines.slice(3).map((l) => {
    const h = b64(l, `${file} hash`);
    if (h.length !== 32) fail(`${file} hashes must be 32 bytes`);
    return h;
  });
  return { from, to, proof, file };
}

// ── main ───────────────────────────────────────────────────────────────────────────────────────
function read(file) {
  try { return readFileSync(file); } catch (e) { throw new UsageError(`cannot read ${file}: ${e.code ?? e.message}`); }
}

function run(argv) {
  let args;
  try {
    args = parseArgs({
      args: argv, strict: true, allowPositionals: false, options: {
        vkey: { type: 'string' }, checkpoint: { type: 'string' }, receipt: { type: 'string' }, entry: { type: 'string' },
        'old-checkpoint': { type: 'string' }, consistency: { type: 'string', multiple: true }, origin: { type: 'string' },
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) { throw new UsageError(e.message); }
  if (args.help) { process.stdout.write(USAGE); return []; }
  if (!args.vkey) throw new UsageError('--vkey is required');
  if (!args.checkpoint && !args.receipt) throw new UsageError('give --checkpoint and/or --receipt');
  if (args['old-checkpoint'] && !args.checkpoint) throw new UsageError('--old-checkpoint needs --checkpoint');
  const vkey = parseVkey(args.vkey.startsWith('@') ? read(args.vkey.slice(1)).toString('utf8') : args.vkey);
  const origin = args.origin ?? vkey.name;
  const proofs = (args.consistency ?? []).map((f) => parseConsistency(read(f), f));
  const out = [];
  const link = (a, b, what) => {
    if (a.size === b.size) return verifyConsistency(a.size, b.size, [], a.root, b.root);
    const p = proofs.find((x) => x.from === a.size && x.to === b.size);
    if (!p) fail(`${what}: need a consistency proof from ${a.size} to ${b.size} (--consistency)`);
    verifyConsistency(a.size, b.size, p.proof, a.root, b.root);
  };

  let latest;
  if (args.checkpoint) {
    latest = openCheckpoint(read(args.checkpoint), vkey, origin, 'checkpoint');
    out.push({ check: 'checkpoint', size: latest.size.toString(), root: latest.root.toString('base64') });
  }
  if (args['old-checkpoint']) {
    const old = openCheckpoint(read(args['old-checkpoint']), vkey, origin, 'old checkpoint');
    if (old.size > latest.size) fail(`the checkpoint (size ${latest.size}) is older than the stored one (size ${old.size}): rollback`);
    link(old, latest, 'old checkpoint');
    out.push({ check: 'consistency', from: old.size.toString(), to: latest.size.toString() });
  }
  if (args.receipt) {
    const r = parseReceipt(read(args.receipt));
    const cp = openCheckpoint(r.checkpoint, vkey, origin, 'receipt checkpoint');
    const data = args.entry ? read(args.entry) : r.extra;
    if (!data) fail('the receipt carries no entry; pass --entry');
    if (args.entry && r.extra && !eq(hashLeaf(data), hashLeaf(r.extra))) fail('--entry differs from the entry in the receipt');
    verifyInclusion(hashLeaf(data), r.index, cp.size, r.proof, cp.root);
    let event;
    try { event = JSON.parse(utf8(data, 'entry')); } catch { event = undefined; }
    out.push({ check: 'inclusion', index: r.index.toString(), size: cp.size.toString(), event });
    if (latest) {
      if (cp.size > latest.size) fail(`the receipt's checkpoint (size ${cp.size}) is newer than --checkpoint (size ${latest.size})`);
      link(cp, latest, 'receipt checkpoint');
      if (cp.size !== latest.size) out.push({ check: 'consistency', from: cp.size.toString(), to: latest.size.toString() });
    }
  }
  return out;
}

function describe(r) {
  switch (r.check) {
    case 'checkpoint': return `OK checkpoint: size ${r.size}, root ${r.root}`;
    case 'consistency': return `OK consistency: tree of size ${r.from} is a prefix of size ${r.to}`;
    case 'inclusion': return `OK inclusion: entry ${r.index} is in the tree of size ${r.size}${r.event ? `: ${JSON.stringify(r.event)}` : ''}`;
    default: return JSON.stringify(r);
  }
}

const argv = process.argv.slice(2);
const json = argv.includes('--json');
try {
  const results = run(argv);
  if (json) process.stdout.write(JSON.stringify({ ok: true, results }) + '\n');
  else for (const r of results) process.stdout.write(describe(r) + '\n');
  process.exitCode = 0;
} catch (e) {
  const code = e instanceof UsageError ? 2 : e instanceof VerifyError ? 1 : 1;
  const msg = e instanceof UsageError || e instanceof VerifyError ? e.message : `unexpected error: ${e?.message ?? e}`;
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: msg }) + '\n');
  process.stderr.write(`${code === 2 ? 'usage error' : 'FAILED'}: ${msg}\n`);
  if (code === 2 && !(e instanceof VerifyError)) process.stderr.write(USAGE);
  process.exitCode = code;
}
