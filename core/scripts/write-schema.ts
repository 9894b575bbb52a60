import { writeFileSync } from 'node:fs';
import { policyJsonSchema } from '../src/policy/jsonSchema.js';

writeFileSync(new URL('../policy.schema.json', import.meta.url), `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
