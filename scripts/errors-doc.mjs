// Regenerates docs/errors.md from the code catalogue (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { CODES } from '../dist/core/codes.js';

const rows = Object.entries(CODES)
  .sort(([a], [b]) => (a < b ? -1 : 1))
  .map(([code, i]) => `| \`${code}\` | ${i.doc} | ${i.http} | ${i.exit} |`);
writeFileSync(
  new URL('../docs/errors.md', import.meta.url),
  `# Error and rule codes\n\nEvery error modelvault reports carries one of these stable codes (never renamed). The CLI prints\n\`CODE: message (at location)\`; the server answers \`{"error": "CODE: message"}\` with the status below.\nCommands with their own exit-code contract (\`scan\`, \`verify\`) document it in [cli.md](cli.md).\n\nGenerated from \`src/core/codes.ts\` by \`node scripts/errors-doc.mjs\`.\n\n| code | meaning | HTTP | exit |\n| --- | --- | --- | --- |\n${rows.join('\n')}\n`,
);
