// Doc-test harness: every fenced TypeScript/JavaScript block in the READMEs and docs/ is marked
// runnable, typecheck or fragment (docs/development.md, "Examples in the docs"). Runnable and
// typecheck blocks are extracted into a consumer project that links the built workspace
// packages, type-checked with a strict consumer tsconfig, and runnable ones are run on each
// Node binary given, with the services they name.
//
//   node scripts/doctest.mjs [--node <path>]… [--only <text>] [--keep] [--report <file.json>]
//                            [--tarballs]
//
// With --tarballs the examples run against the packed packages, installed with npm into the
// consumer project outside the workspace (the path a user takes), instead of linked builds;
// the tarballs' LICENSE, versions, internal ranges and source maps are checked too.
//
// Build first (pnpm build). Exits 1 when a block is unmarked, does not type-check, or fails.
import console from 'node:console';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { extractExamples } from './doctest/extract-examples.mjs';
import {
  linkWorkspace,
  toMarkdownLines,
  writeConsumerProject,
} from './doctest/consumer-project.mjs';
import { installTarballs } from './doctest/install-tarballs.mjs';
import { loadTestingKit, runExamples } from './doctest/run-examples.mjs';

const { values } = parseArgs({
  options: {
    node: { type: 'string', multiple: true },
    only: { type: 'string' },
    keep: { type: 'boolean' },
    report: { type: 'string' },
    tarballs: { type: 'boolean' },
  },
});
const root = resolve(import.meta.dirname, '..');
const nodes = values.node ?? [process.execPath];

const { examples: all, errors } = extractExamples(root);
const examples = all.filter(
  (example) =>
    example.kind !== 'fragment' &&
    (values.only === undefined || `${example.file}:${String(example.line)}`.includes(values.only)),
);
const count = (kind) => all.filter((example) => example.kind === kind).length;
console.log(
  `doc examples: ${String(all.length)} blocks (${String(count('runnable'))} runnable, ${String(count('typecheck'))} typecheck, ${String(count('fragment'))} fragment)`,
);
for (const error of errors) console.log(`FAIL ${error}`);

const dir = mkdtempSync(join(tmpdir(), 'fraiseql-doctest-'));
let typeErrors = 0;
let result = { passed: 0, failed: 0, results: [] };
try {
  writeConsumerProject(dir, examples);
  if (values.tarballs === true) {
    const problems = installTarballs(root, dir, (line) => console.log(line));
    for (const problem of problems) console.log(`FAIL ${problem}`);
    errors.push(...problems);
    if (problems.length === 0) console.log('ok   tarballs: LICENSE, versions, ranges, source maps');
  } else {
    linkWorkspace(root, dir);
  }
  const tsc =
    examples.length === 0
      ? { status: 0, stdout: '', stderr: '' }
      : spawnSync(
          process.execPath,
          [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir, '--pretty', 'false'],
          { cwd: dir, encoding: 'utf8' },
        );
  const diagnostics = toMarkdownLines(`${tsc.stdout}${tsc.stderr}`, examples).trim();
  if (tsc.status !== 0) {
    typeErrors = diagnostics.split('\n').filter((line) => /error TS\d+/.test(line)).length || 1;
    console.log(`FAIL type-check (strict consumer tsconfig):\n${diagnostics}`);
  } else {
    console.log(`ok   type-check of ${String(examples.length)} examples`);
  }
  if (examples.some((example) => example.kind === 'runnable')) {
    const kit = await loadTestingKit(root);
    result = await runExamples({
      kit,
      examples,
      nodes,
      cwd: dir,
      log: (line) => console.log(line),
    });
  }
} finally {
  if (values.keep === true) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

const failed = result.failed + errors.length + (typeErrors > 0 ? 1 : 0);
const passed = result.passed + (typeErrors > 0 || examples.length === 0 ? 0 : 1);
if (values.report !== undefined) {
  // The shape scripts/test-summary.mjs reads from vitest reports.
  writeFileSync(
    values.report,
    JSON.stringify({
      numPassedTests: passed,
      numFailedTests: failed,
      numPendingTests: 0,
      numTodoTests: 0,
      testResults: [],
    }),
  );
}
console.log(`doc examples: ${String(passed)} passed, ${String(failed)} failed`);
process.exitCode = failed > 0 ? 1 : 0;
// Services started for the examples end with this process.
process.exit();
