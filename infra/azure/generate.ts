/** Writes generated/reflex.json (operation names, role actions) from the TypeScript sources. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { catalogText } from './catalog.js';

const out = fileURLToPath(new URL('./generated/reflex.json', import.meta.url));
writeFileSync(out, catalogText());
console.log(`wrote ${out}`);
