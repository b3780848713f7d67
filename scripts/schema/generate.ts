/**
 * `npm run schema`: writes the JSON Schema of the replay file and of every report under
 * spec/schema/, generated from the zod schemas the code validates with (replayFile.ts, reports.ts),
 * so the published format is the checked one. schema.test.ts fails when a committed file is not
 * what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { replayFileSchema } from './replayFile.ts';
import { REPORT_SCHEMAS } from './reports.ts';

export const SCHEMA_DIR = fileURLToPath(new URL('../../spec/schema/', import.meta.url));

/** Each file of spec/schema/ and its text. */
export function schemaFiles(): Map<string, string> {
  const schemas: Record<string, z.ZodType> = { 'replay-file': replayFileSchema, ...REPORT_SCHEMAS };
  const files = new Map<string, string>();
  for (const [name, schema] of Object.entries(schemas)) {
    // The refinements (an invariant of the registry, a bug of the catalogue, an answer below its
    // arity) are the reader's: JSON Schema cannot state them, and the descriptions name them.
    files.set(`${name}.schema.json`, `${JSON.stringify(z.toJSONSchema(schema), null, 2)}\n`);
  }
  return files;
}

function main(): void {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [file, text] of schemaFiles()) {
    writeFileSync(join(SCHEMA_DIR, file), text);
    console.log(`wrote spec/schema/${file}`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
