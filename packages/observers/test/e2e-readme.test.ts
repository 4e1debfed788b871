import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectDatabase } from '@fraiseql/core';
import { createTempDir, createTestDatabase, requireService } from '@fraiseql/testing';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const pg = await requireService('postgres');
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The first TypeScript block under the README's `## Example` heading. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const section = readme.split(/^## Example$/m)[1] ?? '';
  const code = /```ts[^\n]*\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error('README.md has no ```ts block under "## Example"');
  return code;
}

describe.skipIf(pg === undefined)('the README example', () => {
  it('runs as written: migrate, capture, config, runtime, INSERT → webhook, close', async () => {
    const source = await readmeExample();
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    await using dir = await createTempDir('fraiseql-readme');
    // The example imports the packages by name, as an application would after `npm install`.
    await mkdir(join(dir.path, 'node_modules', '@fraiseql'), { recursive: true });
    await symlink(join(packageDir, '..', 'core'), join(dir.path, 'node_modules/@fraiseql/core'));
    await symlink(packageDir, join(dir.path, 'node_modules/@fraiseql/observers'));
    const script = join(dir.path, 'example.mjs');
    await writeFile(script, outputText);

    // It also type-checks, strictly, against the published declarations.
    await writeFile(join(dir.path, 'package.json'), '{ "type": "module" }\n');
    const typed = join(dir.path, 'example.ts');
    await writeFile(typed, source);
    const program = ts.createProgram([typed], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(packageDir, 'node_modules', '@types')],
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);

    await using database = await createTestDatabase(pg);
    {
      // The example starts its own local receiver and prints what it got.
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [script], {
        cwd: dir.path,
        timeout: 60_000,
        env: { ...process.env, DATABASE_URL: database.url },
      });
      expect(stderr).toBe('');
      const received = /^webhook received: (.*)$/m.exec(stdout);
      expect(JSON.parse(received?.[1] ?? 'null')).toEqual({ order: 'o-1', total: 250 });
      // The example closed cleanly: its progress is saved and nothing is left claimed.
      const db = await connectDatabase({ url: database.url });
      try {
        const claims = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM core.v_observer_claim WHERE consumer = 'orders'",
        );
        expect(claims.rows[0]?.n).toBe(0);
        const checkpoint = await db.query(
          "SELECT 1 FROM core.tb_observer_checkpoint WHERE consumer = 'orders'",
        );
        expect(checkpoint.rows).toHaveLength(1);
      } finally {
        await db.close();
      }
    }
  });
});
