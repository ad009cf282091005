#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (prepare) so start-up never pays for a TS loader.
import { main } from '../dist/cli/main.js';
main(process.argv).then((code) => { process.exitCode = code; });
