// Runs `changeset version` on a copy of the workspace manifests and the pending changesets, and
// fails unless it would produce what a release needs: a CHANGELOG.md with the new version for
// every published package, one shared version line (no accidental major from a peer range),
// and internal ranges that still accept the versions released with them.
import console from 'node:console';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { publishedPackages, satisfies } from './doctest/install-tarballs.mjs';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'fraiseql-release-'));
const problems = [];
try {
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset']) {
    cpSync(join(root, file), join(dir, file), { recursive: true });
  }
  for (const group of ['packages', 'apps']) {
    if (!existsSync(join(root, group))) continue;
    cpSync(join(root, group), join(dir, group), {
      recursive: true,
      filter: (source) =>
        !/[\\/](node_modules|dist|src|test|bench)([\\/]|$)/.test(source.slice(root.length)),
    });
  }
  const before = publishedPackages(dir);
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'],
    { cwd: dir, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    problems.push(`changeset version failed:\n${result.stdout}${result.stderr}`);
  } else {
    const after = publishedPackages(dir);
    const versions = new Map(after.map(({ pkg }) => [pkg.name, pkg.version]));
    const lines = new Set(after.map(({ pkg }) => pkg.version.split('.').slice(0, 2).join('.')));
    if (lines.size > 1) {
      problems.push(
        `released versions diverge: ${after.map(({ pkg }) => `${pkg.name}@${pkg.version}`).join(', ')}`,
      );
    }
    for (const { dir: pkgDir, pkg } of after) {
      const previous = before.find((entry) => entry.pkg.name === pkg.name)?.pkg.version;
      if (previous !== undefined && pkg.version.split('.')[0] !== previous.split('.')[0]) {
        problems.push(`${pkg.name}: ${previous} → ${pkg.version} is a major bump`);
      }
      const changelog = join(pkgDir, 'CHANGELOG.md');
      const text = existsSync(changelog) ? readFileSync(changelog, 'utf8') : '';
      if (!text.includes(`## ${pkg.version}`)) {
        problems.push(`${pkg.name}: CHANGELOG.md has no "## ${pkg.version}" section`);
      }
      for (const field of ['dependencies', 'peerDependencies']) {
        for (const [dep, range] of Object.entries(pkg[field] ?? {})) {
          const target = versions.get(dep);
          if (target === undefined) continue;
          const plain = range.replace(/^workspace:/, '');
          if (plain !== '^' && plain !== '*' && !satisfies(target, plain)) {
            problems.push(`${pkg.name}: ${field}["${dep}"] "${range}" excludes ${target}`);
          }
        }
      }
    }
    if (problems.length === 0) {
      console.log(
        `changeset version: ${after.map(({ pkg }) => `${pkg.name}@${pkg.version}`).join(', ')}, every CHANGELOG.md written`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exitCode = 1;
}
