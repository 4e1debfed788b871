import { DdlGenError } from '../errors.js';
import { schemaDocumentSchema, type SchemaDocument } from './schema-document.js';

/**
 * Validates a FraiseQL schema, given as JSON text or as an already parsed value. Type names must
 * be unique.
 *
 * @throws {DdlGenError} `SCHEMA_INVALID` naming the path of every problem, e.g.
 *   `types[1].fields[0].type: expected string, received undefined`.
 * @example
 * const schema = loadSchema(await readFile('schema.compiled.json', 'utf8'));
 */
export function loadSchema(input: unknown): SchemaDocument {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (cause) {
      throw new DdlGenError(
        'SCHEMA_INVALID',
        `schema: not valid JSON (${(cause as Error).message})`,
        { cause },
      );
    }
  }
  const result = schemaDocumentSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${formatPath(issue.path)}: ${issue.message}`,
    );
    throw new DdlGenError('SCHEMA_INVALID', `schema: ${issues.join('; ')}`, {
      details: { issues },
    });
  }
  const seen = new Set<string>();
  result.data.types.forEach((type, index) => {
    if (seen.has(type.name)) {
      throw new DdlGenError(
        'SCHEMA_INVALID',
        `schema: types[${index}].name: duplicate type ${JSON.stringify(type.name)}`,
      );
    }
    seen.add(type.name);
  });
  return result.data;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}
