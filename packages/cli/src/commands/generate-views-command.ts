import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SqlClient } from '@fraiseql/core';
import type * as DdlGenModule from '@fraiseql/ddl-gen';
import type {
  DdlValidation,
  GeneratedDdl,
  ProjectionPlan,
  SchemaDocument,
} from '@fraiseql/ddl-gen';
import { OptionValueError, type Command, type CommandContext } from '../command.js';
import { DATABASE_OPTION } from './common-options.js';
import { databaseUrl, openDatabase } from '../context/open-database.js';
import { CliError } from '../errors.js';
import { createProgress } from '../output/progress.js';
import { print } from '../output/print.js';

type DdlGen = typeof DdlGenModule;

// Loaded on use: the SQL parser behind validation is only needed by this command.
const loadDdlGen = (): Promise<DdlGen> => import('@fraiseql/ddl-gen');

const GENERATORS: Readonly<Record<string, (ddl: DdlGen, plan: ProjectionPlan) => GeneratedDdl>> = {
  tv: (ddl, plan) => ddl.generateTvDdl(plan),
  va: (ddl, plan) => ddl.generateVaDdl(plan),
  ta: (ddl, plan) => ddl.generateTaDdl(plan),
};

interface Generated {
  readonly entity: string;
  readonly name: string;
  readonly file?: string;
  readonly sql: string;
  readonly warnings: readonly string[];
  readonly validation?: DdlValidation;
  /** With `--check --out-dir`: whether the file on disk matches. */
  readonly upToDate?: boolean;
}

/** `fraiseql generate-views`: projection DDL for one entity or all of them. */
export const generateViewsCommand: Command = {
  path: ['generate-views'],
  summary: 'write tv_/va_/ta_ projection DDL from the FraiseQL schema JSON',
  args: [
    {
      name: 'entity',
      required: false,
      description: 'the GraphQL type to generate for (or --all)',
    },
  ],
  options: {
    schema: {
      type: 'string',
      short: 's',
      value: 'file',
      description: 'FraiseQL schema JSON (default: ./schema.json)',
    },
    all: { type: 'boolean', description: 'every type that a query reads from a view' },
    kind: {
      type: 'string',
      value: 'kind',
      default: 'tv',
      parse: (raw) => {
        if (raw === 'tv' || raw === 'va' || raw === 'ta') return raw;
        throw new OptionValueError(
          `Expected tv (table-backed JSON), va (typed view) or ta (typed table), got ${JSON.stringify(raw)}`,
        );
      },
      description: 'tv (table-backed JSON), va (typed view) or ta (typed table)',
    },
    'out-dir': {
      type: 'string',
      short: 'o',
      value: 'dir',
      description: 'write one <name>.sql per entity here instead of printing',
    },
    check: {
      type: 'boolean',
      description:
        'validate the DDL (against --database/DATABASE_URL when set, in a rolled-back transaction) and, with --out-dir, fail when the files there are stale; writes nothing',
    },
    database: {
      ...DATABASE_OPTION.database,
      description: 'PostgreSQL URL to read the views from (default: DATABASE_URL)',
    },
  },
  examples: [
    'fraiseql generate-views User --schema schema.json',
    'fraiseql generate-views --all --schema schema.json --out-dir db/projections',
    'fraiseql generate-views --all --check --out-dir db/projections --database postgres://localhost/app',
  ],
  async run(context) {
    const kind = String(context.values.kind);
    const generate = GENERATORS[kind];
    if (generate === undefined) {
      throw new CliError('USAGE', `--kind must be tv, va or ta, got ${JSON.stringify(kind)}`);
    }
    const all = context.values.all === true;
    const entity = context.positionals[0];
    if (all === (entity !== undefined)) {
      throw new CliError(
        'USAGE',
        all
          ? `--all generates every entity: drop ${JSON.stringify(entity)} or --all`
          : 'name the entity to generate (for example `fraiseql generate-views Order`) or pass --all',
      );
    }
    const ddlGen = await loadDdlGen();
    const schema = await readSchema(context, ddlGen);
    const entities = all ? viewBackedTypes(schema) : [entity ?? ''];
    const outFlag = context.values['out-dir'];
    const outDir = typeof outFlag === 'string' ? resolve(context.cwd, outFlag) : undefined;
    const check = context.values.check === true;
    const db = databaseUrl(context) === undefined ? undefined : await openDatabase(context);
    try {
      const progress = createProgress(
        context.terminal,
        'generating',
        entities.length,
        context.json || !all,
      );
      const results: Generated[] = [];
      for (const name of entities) {
        context.signal.throwIfAborted();
        const plan = await ddlGen.planProjection(schema, name, db === undefined ? {} : { db });
        const ddl = generate(ddlGen, plan);
        results.push(
          await finish(ddlGen, ddl, plan.entity, { db, outDir, check, signal: context.signal }),
        );
        progress.tick(ddl.name);
      }
      progress.done();
      const invalid = results.filter((result) => result.validation?.valid === false);
      const stale = results.filter((result) => result.upToDate === false);
      print(context, { entities: results, invalid: invalid.length, stale: stale.length }, () =>
        report(results, outDir, check),
      );
      return invalid.length > 0 || stale.length > 0 ? 1 : 0;
    } finally {
      await db?.close();
    }
  },
};

async function readSchema(context: CommandContext, ddlGen: DdlGen): Promise<SchemaDocument> {
  const flag = context.values.schema;
  const path = resolve(context.cwd, typeof flag === 'string' ? flag : 'schema.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new CliError(
      'CONFIG_MISSING',
      `cannot read the schema ${path}: pass --schema <file> with the FraiseQL schema JSON`,
      { cause },
    );
  }
  try {
    return ddlGen.loadSchema(JSON.parse(text));
  } catch (cause) {
    throw new CliError('FAILED', `${path}: ${(cause as Error).message}`, { cause });
  }
}

function viewBackedTypes(schema: SchemaDocument): string[] {
  const names = schema.queries.flatMap((query) =>
    query.sql_source === undefined ? [] : [query.return_type],
  );
  return [...new Set(names)].filter((name) => schema.types.some((type) => type.name === name));
}

async function finish(
  ddlGen: DdlGen,
  ddl: GeneratedDdl,
  entity: string,
  options: {
    db: SqlClient | undefined;
    outDir: string | undefined;
    check: boolean;
    signal: AbortSignal;
  },
): Promise<Generated> {
  const file = options.outDir === undefined ? undefined : join(options.outDir, `${ddl.name}.sql`);
  const base = { entity, name: ddl.name, sql: ddl.sql, warnings: ddl.warnings };
  if (options.check) {
    const validation =
      options.db === undefined
        ? await ddlGen.validateDdl(ddl.sql)
        : await ddlGen.checkDdl(options.db, ddl.sql, { signal: options.signal });
    if (file === undefined) return { ...base, validation };
    const onDisk = await readFile(file, 'utf8').catch(() => undefined);
    return { ...base, file, validation, upToDate: onDisk === ddl.sql };
  }
  if (file === undefined || options.outDir === undefined) return base;
  await mkdir(options.outDir, { recursive: true });
  await writeFile(file, ddl.sql);
  return { ...base, file };
}

function report(results: readonly Generated[], outDir: string | undefined, check: boolean): string {
  if (!check && outDir === undefined) return results.map((result) => result.sql).join('\n');
  return results
    .map((result) => {
      const parts = [result.name];
      if (result.validation !== undefined) {
        const issue = result.validation.issue;
        parts.push(
          result.validation.valid
            ? `valid (${String(result.validation.statements)} statements)`
            : `INVALID at line ${String(issue?.line)}:${String(issue?.column)}: ${issue?.message ?? ''}`,
        );
      }
      if (result.upToDate !== undefined)
        parts.push(result.upToDate ? 'up to date' : `STALE ${result.file ?? ''}`);
      else if (result.file !== undefined && !check) parts.push(`written to ${result.file}`);
      for (const warning of result.warnings) parts.push(`warning: ${warning}`);
      return `${parts.join('  ')}\n`;
    })
    .join('');
}
