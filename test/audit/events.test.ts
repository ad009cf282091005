import { describe, expect, it } from 'vitest';
import { ACTIONS, encodeEvent, parseEvent, type AuditEvent } from '../../src/audit/index.js';
import { code } from '../support/codes.js';

const base: AuditEvent = {
  seq: 4, time: '2026-12-01T19:09:44.123Z', actor: 'alice', action: 'alias.set',
  subject: { model: 'iris', version: 3, digest: `sha256:${'0f'.repeat(32)}` },
  before: { alias: 'production', version: 2 }, after: { alias: 'production', version: 3 }, reason: 'promote',
};

describe('canonical audit events (RFC 8785 JCS)', () => {
  it('encodes with sorted keys and no whitespace, and parses back', () => {
    const bytes = encodeEvent(base);
    const text = new TextDecoder().decode(bytes);
    expect(text).toBe('{"action":"alias.set","actor":"alice","after":{"alias":"production","version":3},"before":{"alias":"production","version":2},"reason":"promote","seq":4,"subject":{"digest":"sha256:0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f","model":"iris","version":3},"time":"2026-12-01T19:09:44.123Z"}');
    expect(parseEvent(bytes)).toEqual(base);
    // key order of the input does not matter
    const shuffled = Object.fromEntries(Object.entries(base).reverse()) as unknown as AuditEvent;
    expect(encodeEvent(shuffled)).toEqual(bytes);
  });

  it('JCS number and string forms', () => {
    const e = { ...base, after: { n: 1e21, f: 0.1, neg: -0, u: '\u00e9\u2028', esc: '"\\\n' } };
    expect(new TextDecoder().decode(encodeEvent(e))).toContain('"after":{"esc":"\\"\\\\\\n","f":0.1,"n":1e+21,"neg":0,"u":"é\u2028"}');
  });

  it('every action in the table is accepted', () => {
    for (const a of ACTIONS) encodeEvent({ ...base, action: a.name });
  });

  it.each([
    ['unknown field', { ...base, extra: 1 }],
    ['missing before', (({ before: _b, ...r }) => r)(base)],
    ['negative seq', { ...base, seq: -1 }],
    ['float seq', { ...base, seq: 1.5 }],
    ['local time', { ...base, time: '2026-12-01T19:09:44+01:00' }],
    ['unknown action', { ...base, action: 'model.explode' }],
    ['empty actor', { ...base, actor: '' }],
    ['control char in actor', { ...base, actor: 'a\nb' }],
    ['subject missing digest', { ...base, subject: { model: 'iris', version: 3 } }],
    ['version 0', { ...base, subject: { ...base.subject, version: 0 } }],
    ['bad digest', { ...base, subject: { ...base.subject, digest: 'md5:00' } }],
    ['NaN', { ...base, after: { x: Number.NaN } }],
    ['undefined value', { ...base, after: { x: undefined } }],
    ['function', { ...base, after: { x: () => 1 } }],
    ['date object', { ...base, after: new Date(0) }],
    ['deep nesting', { ...base, after: JSON.parse('['.repeat(40) + ']'.repeat(40)) }],
    ['lone surrogate', { ...base, reason: '\ud800' }],
    ['prev_checkpoint root', { ...base, prev_checkpoint: { size: 1, root: 'AAAA' } }],
    ['oversized', { ...base, after: 'x'.repeat(70_000) }],
  ])('rejects %s', (_n, e) => {
    expect(code(() => encodeEvent(e as unknown as AuditEvent))).toBe('AUDIT_EVENT_INVALID');
  });

  it('parseEvent requires the exact canonical bytes', () => {
    const t = new TextDecoder().decode(encodeEvent(base));
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(code(() => parseEvent(enc(t.replace('{"action"', '{ "action"'))))).toBe('AUDIT_EVENT_INVALID');
    expect(code(() => parseEvent(enc(t.replace('"seq":4', '"seq":4.0'))))).toBe('AUDIT_EVENT_INVALID');
    expect(code(() => parseEvent(enc('not json')))).toBe('AUDIT_EVENT_INVALID');
    expect(parseEvent(enc(t.replace('{"action"', '{ "action"')), { requireCanonical: false }).seq).toBe(4);
    expect(code(() => parseEvent(new Uint8Array([0xc3, 0x28])))).toBe('AUDIT_EVENT_INVALID');
  });
});
