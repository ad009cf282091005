import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ecdsaVerifier, ed25519PrivateKey, ed25519PublicRaw, ed25519Verifier, encodeVkey, formatCheckpoint, hashLeaf,
  openCheckpoint, parseCheckpoint, parseVkey, rootFromLeafHashes, signCheckpoint, signNote, verifyInclusion, verifyNote,
  type NoteVerifier,
} from '../../src/audit/index.js';
import { hex, unhex } from './tree-helper.js';
import { code } from '../support/codes.js';

// ../shared/spec/signing.md §5.4 vectors
const C2SP_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const C2SP_NOTE = 'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

const SEED = createHash('sha256').update('modelvault audit-log test key').digest();
const ORIGIN = 'example.com/modelvault/audit';
const MV_VKEY = 'example.com/modelvault/audit+9020f8ce+AXvBukIEuZEb1W/9M2Vk18n5j0e92G9YzohIk8VYD8sx';
const MV_CHECKPOINT = 'example.com/modelvault/audit\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n— example.com/modelvault/audit kCD4zhJMYHpIZ+CphORZ0t7Nm2JG6hnx4DBpDzTxaAzvbqkwWEuCLgFNe6bkcqsYsvjG4L9F5a4WZ09Uic5CccgG1ww=\n';
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);

describe('C2SP signed-note example', () => {
  it('verifies and yields the text', () => {
    const v = parseVkey(C2SP_VKEY);
    expect(v.name).toBe('example.com/foo');
    expect(v.keyId).toBe(0x530d903a);
    const n = verifyNote(C2SP_NOTE, [v]);
    expect(n.text).toBe('This is an example message.\n');
    expect(n.signatures).toEqual([{ name: 'example.com/foo', keyId: 0x530d903a }]);
    expect(verifyNote(new TextEncoder().encode(C2SP_NOTE), [v]).text).toBe(n.text);
  });
  it('fails when the text changes', () => {
    expect(code(() => verifyNote(C2SP_NOTE.replace('example', 'exemple'), [parseVkey(C2SP_VKEY)]))).toBe('AUDIT_NOTE_UNVERIFIED');
  });
});

describe('deterministic modelvault checkpoint (known answer)', () => {
  const seed = new Uint8Array(SEED);
  it('derives the documented key, vkey and seed', () => {
    expect(hex(seed)).toBe('a91a6e09da44fff0b63fed9c72f44bb4c6efa7c7f6293601e6cdbec9cc58a1b4');
    expect(hex(ed25519PublicRaw(ed25519PrivateKey(seed)))).toBe('7bc1ba4204b9911bd56ffd336564d7c9f98f47bdd86f58ce884893c5580fcb31');
    expect(encodeVkey(ORIGIN, ed25519PrivateKey(seed))).toBe(MV_VKEY);
  });
  it('signs the 8 CT leaves to exactly the documented note', () => {
    const root = rootFromLeafHashes(CT_LEAVES.map(hashLeaf));
    const note = signCheckpoint({ origin: ORIGIN, size: 8, root }, { name: ORIGIN, privateKey: seed });
    expect(note).toBe(MV_CHECKPOINT);
    // a KeyObject works the same
    expect(signCheckpoint({ origin: ORIGIN, size: 8, root }, { name: ORIGIN, privateKey: ed25519PrivateKey(seed) })).toBe(MV_CHECKPOINT);
    const cp = openCheckpoint(MV_CHECKPOINT, [parseVkey(MV_VKEY)], ORIGIN);
    expect(cp.size).toBe(8);
    expect(hex(cp.root)).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });
  it('fails when the size line changes', () => {
    const forged = MV_CHECKPOINT.replace('\n8\n', '\n9\n');
    expect(code(() => openCheckpoint(forged, [parseVkey(MV_VKEY)], ORIGIN))).toBe('AUDIT_NOTE_UNVERIFIED');
  });
  it('rejects the wrong origin, an unknown key, and a known key that fails', () => {
    const v = parseVkey(MV_VKEY);
    expect(code(() => openCheckpoint(MV_CHECKPOINT, [v], 'example.com/other'))).toBe('AUDIT_CHECKPOINT_INVALID');
    expect(code(() => openCheckpoint(MV_CHECKPOINT, [parseVkey(C2SP_VKEY)]))).toBe('AUDIT_NOTE_UNVERIFIED');
    // same name, other key ID: the signature is ignored, so no known key signed
    const other = ed25519Verifier(ORIGIN, generateKeyPairSync('ed25519').privateKey);
    expect(code(() => openCheckpoint(MV_CHECKPOINT, [other]))).toBe('AUDIT_NOTE_UNVERIFIED');
  });
});

describe('signed note rules', () => {
  const k1 = generateKeyPairSync('ed25519').privateKey;
  const k2 = generateKeyPairSync('ed25519').privateKey;
  const v1 = ed25519Verifier('a.example/k1', k1);
  const v2 = ed25519Verifier('b.example/k2', k2);
  const text = 'hello\n\nworld\n'; // note text MAY contain blank lines
  const note1 = signNote(text, { name: 'a.example/k1', privateKey: k1 });
  const sig2 = signNote(text, { name: 'b.example/k2', privateKey: k2 }).slice(text.length + 1);
  const both = note1 + sig2;

  it('round-trips text with blank lines and multiple signatures', () => {
    expect(verifyNote(note1, [v1]).text).toBe(text);
    const n = verifyNote(both, [v1, v2]);
    expect(n.signatures.map((s) => s.name)).toEqual(['a.example/k1', 'b.example/k2']);
    expect(verifyNote(both, [v2]).unknown.map((s) => s.name)).toEqual(['a.example/k1']);
  });

  it('accepts 16 signature lines (unknown ones ignored)', () => {
    const extra = Array.from({ length: 15 }, (_, i) => signNote(text, { name: `w${i}.example`, privateKey: generateKeyPairSync('ed25519').privateKey }).slice(text.length + 1)).join('');
    const n = verifyNote(note1 + extra, [v1]);
    expect(n.unknown).toHaveLength(15);
  });

  it('rejects a note whose known signature fails even if another verifies', () => {
    const broken = note1.replace(/ (\S+)\n$/, (_m, b64: string) => ` ${Buffer.from(Buffer.from(b64, 'base64').map((x, i) => (i === 10 ? x ^ 1 : x))).toString('base64')}\n`);
    expect(code(() => verifyNote(broken + sig2, [v1, v2]))).toBe('AUDIT_NOTE_UNVERIFIED');
  });

  it('rejects malformed notes with AUDIT_NOTE_INVALID', () => {
    const bad = [
      'no signature block\n',
      text + '\n',
      text + '\n— a.example/k1\n',
      text + '\n- a.example/k1 AAAAAAAA\n',
      text + '\n— a.example/k1 AAAA\n',
      text + '\n— a.example/k1 !!!!\n',
      note1.slice(0, -1),
      'tab\there\n' + note1.slice(text.length),
      note1 + 'x',
    ];
    for (const b of bad) expect(code(() => verifyNote(b, [v1]))).toBe('AUDIT_NOTE_INVALID');
    expect(code(() => verifyNote(new Uint8Array([0xff, 0x0a, 0x0a]), [v1]))).toBe('AUDIT_NOTE_INVALID');
    expect(code(() => verifyNote('\ud800\n\n— a b\n', [v1]))).toBe('AUDIT_NOTE_INVALID');
  });

  it('refuses to sign malformed text or with a bad name or key', () => {
    expect(code(() => signNote('no newline', { name: 'a', privateKey: k1 }))).toBe('AUDIT_NOTE_INVALID');
    expect(code(() => signNote('', { name: 'a', privateKey: k1 }))).toBe('AUDIT_NOTE_INVALID');
    expect(code(() => signNote('ctl\u0001\n', { name: 'a', privateKey: k1 }))).toBe('AUDIT_NOTE_INVALID');
    expect(code(() => signNote('x\n', { name: 'has space', privateKey: k1 }))).toBe('AUDIT_KEY_INVALID');
    expect(code(() => signNote('x\n', { name: 'has+plus', privateKey: k1 }))).toBe('AUDIT_KEY_INVALID');
    expect(code(() => signNote('x\n', { name: 'a', privateKey: new Uint8Array(31) }))).toBe('AUDIT_KEY_INVALID');
    expect(code(() => signNote('x\n', { name: 'a', privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }))).toBe('AUDIT_KEY_INVALID');
  });
});

describe('vkeys', () => {
  it('split on the first two + only and check the key ID', () => {
    const v = parseVkey(MV_VKEY); // its base64 contains '+'-free text, use the C2SP one too
    expect(v.keyId).toBe(0x9020f8ce);
    // find a key whose base64 contains '+', to exercise the split rule
    for (let i = 0; i < 200; i++) {
      const k = generateKeyPairSync('ed25519').privateKey;
      const s = encodeVkey('x.example', k);
      if (s.split('+').length > 3) {
        expect(parseVkey(s).keyId).toBe(ed25519Verifier('x.example', k).keyId);
        break;
      }
    }
  });
  it('rejects malformed vkeys', () => {
    const bad = [
      '', 'name', 'name+530d903a', 'example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k',
      'example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k', 'exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k',
      'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2', 'example.com/foo+530d903a+AgkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k',
    ];
    for (const b of bad) expect(code(() => parseVkey(b)), b).toBe('AUDIT_KEY_INVALID');
  });
});

describe('checkpoint text', () => {
  const root = new Uint8Array(32).fill(7);
  it('formats and parses strictly', () => {
    const t = formatCheckpoint({ origin: ORIGIN, size: 0, root });
    expect(t).toBe(`${ORIGIN}\n0\n${Buffer.from(root).toString('base64')}\n`);
    expect(parseCheckpoint(t)).toEqual({ origin: ORIGIN, size: 0, root, extensions: [] });
    expect(parseCheckpoint(`${t}ext line\n`).extensions).toEqual(['ext line']);
  });
  it.each([
    ['leading zero', `${ORIGIN}\n08\n${Buffer.from(root).toString('base64')}\n`],
    ['sign', `${ORIGIN}\n+8\n${Buffer.from(root).toString('base64')}\n`],
    ['empty origin', `\n8\n${Buffer.from(root).toString('base64')}\n`],
    ['short root', `${ORIGIN}\n8\n${Buffer.from(root.subarray(1)).toString('base64')}\n`],
    ['bad base64', `${ORIGIN}\n8\n${Buffer.from(root).toString('base64').replace('=', '')}\n`],
    ['url base64', `${ORIGIN}\n8\n${'-'.repeat(43)}=\n`],
    ['control char', `${ORIGIN}\u0007\n8\n${Buffer.from(root).toString('base64')}\n`],
    ['two lines', `${ORIGIN}\n8\n`],
    ['no final newline', `${ORIGIN}\n8\n${Buffer.from(root).toString('base64')}`],
    ['empty extension', `${ORIGIN}\n8\n${Buffer.from(root).toString('base64')}\n\nx\n`],
    ['beyond 2^53', `${ORIGIN}\n9007199254740993\n${Buffer.from(root).toString('base64')}\n`],
  ])('rejects %s', (_n, t) => {
    expect(code(() => parseCheckpoint(t))).toBe('AUDIT_CHECKPOINT_INVALID');
  });
});

describe('Rekor v1 (upstream keyless fixture)', () => {
  const fx = JSON.parse(readFileSync(new URL('../fixtures/audit/rekor-v1.1.0-sigstore.json', import.meta.url), 'utf8'));
  const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
  it('the inclusion proof verifies against rootHash (bigint sizes)', () => {
    const leaf = hashLeaf(b64(fx.canonicalizedBody));
    verifyInclusion(leaf, BigInt(fx.logIndex), BigInt(fx.treeSize), fx.hashes.map(b64), b64(fx.rootHash));
    verifyInclusion(leaf, fx.logIndex, fx.treeSize, fx.hashes.map(b64), b64(fx.rootHash)); // decimal strings
    expect(code(() => verifyInclusion(leaf, fx.logIndex, fx.treeSize, fx.hashes.slice(1).map(b64), b64(fx.rootHash)))).toBe('AUDIT_PROOF_INVALID');
  });
  it('the ECDSA (type 0x02) checkpoint verifies with key ID = SHA-256(SPKI)[:4]', () => {
    const spki = b64(fx.rekorPublicKeySpki);
    const v: NoteVerifier = ecdsaVerifier('rekor.sigstore.dev', spki);
    expect(v.keyId).toBe(Buffer.from(b64(fx.logIdKeyId).subarray(0, 4)).readUInt32BE(0));
    const cp = openCheckpoint(fx.checkpoint, [v], 'rekor.sigstore.dev - 1193050959916656506');
    expect(cp.size).toBe(476246825);
    expect(Buffer.from(cp.root).toString('base64')).toBe(fx.rootHash);
    expect(code(() => openCheckpoint(fx.checkpoint.replace('476246825', '476246826'), [v]))).toBe('AUDIT_NOTE_UNVERIFIED');
  });
});

describe('byte exactness', () => {
  it('a leading UTF-8 BOM is part of the signed text, not silently dropped', () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(C2SP_NOTE)]);
    expect(code(() => verifyNote(withBom, [parseVkey(C2SP_VKEY)]))).toBe('AUDIT_NOTE_UNVERIFIED');
  });
});
