#!/usr/bin/env node
// The `reflex` command: runs the bundle that `npm run build -w cli` (or npm ci's prepare, or npm pack) writes.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/reflex.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('reflex: the CLI is not built yet; run: npm run build -w cli\n');
  process.exit(2);
}
await import(bundle.href);
