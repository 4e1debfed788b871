// Fails when a published workspace package (one without `"private": true`) has no
// `check:package` script running publint and attw, so `pnpm check:packages` (turbo over those
// scripts) really covers every package that reaches npm, or lacks its LICENSE copy or its
// repository, homepage and bugs fields.
import console from 'node:console';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const problems = [];
const rootLicense = readFileSync('LICENSE', 'utf8');
const checked = [];
for (const group of ['packages', 'apps']) {
  if (!existsSync(group)) continue;
  for (const dir of readdirSync(group)) {
    const file = join(group, dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    if (pkg.private === true) continue;
    const script = pkg.scripts?.['check:package'] ?? '';
    if (!/\bpublint\b/.test(script) || !/\battw\b.*--profile esm-only/.test(script)) {
      problems.push(
        `${file}: scripts["check:package"] must run "publint --strict && attw --pack --profile esm-only" (found ${JSON.stringify(script)})`,
      );
    }
    const license = join(group, dir, 'LICENSE');
    if (!existsSync(license) || readFileSync(license, 'utf8') !== rootLicense) {
      problems.push(`${license}: must be a copy of the root LICENSE (npm ships it in the tarball)`);
    }
    if (pkg.repository?.directory !== `${group}/${dir}` || !pkg.homepage || !pkg.bugs?.url) {
      problems.push(
        `${file}: needs "repository" (with "directory": "${group}/${dir}"), "homepage" and "bugs"`,
      );
    }
    checked.push(pkg.name);
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exitCode = 1;
} else {
  console.log(
    `publint + attw configured for ${checked.length} published packages: ${checked.join(', ')}`,
  );
}
