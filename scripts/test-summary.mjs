// Prints one closing line per vitest JSON report and a total line, `N passed, N failed, N
// skipped`, and exits non-zero when any test or test file failed, a report is missing, or no
// test ran at all. Usage: node scripts/test-summary.mjs "<label>=<report.json>" …
import console from 'node:console';
import { existsSync, readFileSync } from 'node:fs';
import process from 'node:process';

let passed = 0;
let failed = 0;
let skipped = 0;
let broken = false;
for (const arg of process.argv.slice(2)) {
  const at = arg.indexOf('=');
  const [label, file] = at === -1 ? [arg, arg] : [arg.slice(0, at), arg.slice(at + 1)];
  if (!existsSync(file)) {
    console.log(`${label}: no report (the test run did not finish)`);
    broken = true;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  // A file that failed to load has no failed test of its own: count it as one failure.
  const failedFiles = report.testResults.filter(
    (result) =>
      result.status === 'failed' &&
      !result.assertionResults.some((assertion) => assertion.status === 'failed'),
  ).length;
  const p = report.numPassedTests;
  const f = report.numFailedTests + failedFiles;
  const s = report.numPendingTests + report.numTodoTests;
  console.log(`${label}: ${p} passed, ${f} failed, ${s} skipped`);
  passed += p;
  failed += f;
  skipped += s;
}
console.log(`Total: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (broken || failed > 0 || passed === 0) process.exitCode = 1;
