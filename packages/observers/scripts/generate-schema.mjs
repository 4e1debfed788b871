// Writes observers.schema.json from the zod schema (run through `pnpm run generate:schema`,
// which builds first). The schema test fails until this file matches the schema.
import { writeFile } from 'node:fs/promises';
import process from 'node:process';
import { URL } from 'node:url';

import { observersJsonSchema } from '../dist/config/observers-json-schema.js';

const target = new URL('../observers.schema.json', import.meta.url);
await writeFile(target, `${JSON.stringify(observersJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
