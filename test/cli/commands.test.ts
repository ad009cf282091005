import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { COMMAND_LOADERS } from '../../src/cli/commands/table.js';

const ctx = { output: { out() {}, err() {}, color: false, isTTY: false }, version: 'x' };

describe('command table', () => {
  it('has one lazy loader per registered command, loading the same registration', async () => {
    const names = buildProgram(ctx, COMMANDS).commands.map((c) => c.name()).sort();
    expect(Object.keys(COMMAND_LOADERS).sort()).toEqual(names);
    for (const [name, load] of Object.entries(COMMAND_LOADERS)) {
      const only = buildProgram(ctx, [await load()]).commands.map((c) => c.name());
      expect(only, name).toEqual([name]);
      expect(COMMANDS).toContain(await load());
    }
  });
});
