import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPS, OP_BY_CODE, OP_BY_NAME } from '../../../src/formats/pickle/index.js';

const FIX = new URL('../../fixtures/pickle/', import.meta.url);

describe('opcode table', () => {
  it('matches a dump of CPython pickletools.opcodes, row by row', () => {
    const cpy = JSON.parse(readFileSync(new URL('opcodes.cpython.json', FIX), 'utf8')) as {
      opcodes: { name: string; code: number; arg: string | null; proto: number; before: string[]; after: string[] }[];
    };
    expect(OPS.length).toBe(68);
    expect(OPS.map(({ name, code, arg, proto, before, after }) => ({ name, code, arg, proto, before, after })))
      .toEqual(cpy.opcodes.map(({ name, code, arg, proto, before, after }) => ({ name, code, arg, proto, before, after })));
  });

  it('matches the table in formats.md §1.2 (name, code, proto, arg)', () => {
    const spec = existsSync('/work/shared/spec/formats.md')
      ? readFileSync('/work/shared/spec/formats.md', 'utf8')
      : readFileSync(new URL('formats-1.2.md', FIX), 'utf8');
    const table = spec.slice(spec.indexOf('### 1.2'), spec.indexOf('Argument encodings'));
    const rows = [...table.matchAll(/^\| (?:`.` )?([0-9A-F]{2}) \| (\w+) \| (\d) \| ([\w–]+) \|/gm)];
    expect(rows.length).toBe(68);
    for (const [, hex, name, proto, arg] of rows) {
      const op = OP_BY_NAME.get(name as never);
      expect(op, name).toBeDefined();
      expect(op!.code).toBe(parseInt(hex!, 16));
      expect(op!.proto).toBe(Number(proto));
      expect(op!.arg ?? '–').toBe(arg);
    }
  });

  it('is indexed uniquely and every row has a doc', () => {
    expect(OP_BY_CODE.size).toBe(68);
    expect(OP_BY_NAME.size).toBe(68);
    for (const o of OPS) expect(o.doc.length).toBeGreaterThan(5);
  });
});
