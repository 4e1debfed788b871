// Writes the extracted examples into a consumer project: package.json, a strict tsconfig (the
// settings a careful consumer uses, exactOptionalPropertyTypes included) and src/<slug>.ts|mjs.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

export const CONSUMER_TSCONFIG = {
  compilerOptions: {
    // ESNext keeps the syntax as written: the type-checked output is what Node runs.
    target: 'ESNext',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    moduleDetection: 'force',
    lib: ['ES2023'],
    types: ['node'],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    verbatimModuleSyntax: true,
    skipLibCheck: false,
    allowJs: true,
    checkJs: false,
    rootDir: 'src',
    outDir: 'out',
  },
  include: ['src'],
};

/** Writes the project (not its node_modules) and returns the path of each example's output. */
export function writeConsumerProject(dir, examples) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) {
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: 'fraiseql-doc-examples', private: true, type: 'module' }, null, 2)}\n`,
    );
  }
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(CONSUMER_TSCONFIG, null, 2)}\n`);
  for (const example of examples) {
    const ext = example.lang === 'ts' ? 'ts' : 'mjs';
    writeFileSync(join(dir, 'src', `${example.slug}.${ext}`), `${example.code}\n`);
    example.source = join('src', `${example.slug}.${ext}`);
    example.output = join(dir, 'out', `${example.slug}.${example.lang === 'ts' ? 'js' : 'mjs'}`);
  }
}

/**
 * Links the workspace's published packages (`@fraiseql/*`, resolved to their built dist/ by
 * their exports maps) and every third-party package they name into `dir/node_modules`, as an
 * install would. A package added to packages/ is linked without editing this script.
 */
export function linkWorkspace(root, dir) {
  const modules = join(dir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  const link = (name, target) => {
    const path = join(modules, name);
    if (existsSync(path) || !existsSync(target)) return;
    mkdirSync(dirname(path), { recursive: true });
    symlinkSync(target, path, 'dir');
  };
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const pkgDir = join(root, 'packages', name);
    if (!existsSync(join(pkgDir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (pkg.private === true) continue;
    link(pkg.name, pkgDir);
    const deps = {
      ...pkg.devDependencies,
      ...pkg.peerDependencies,
      ...pkg.optionalDependencies,
      ...pkg.dependencies,
    };
    for (const dep of Object.keys(deps)) {
      if (!dep.startsWith('@fraiseql/')) link(dep, join(pkgDir, 'node_modules', dep));
    }
  }
  for (const tool of ['@types/node', 'typescript']) link(tool, join(root, 'node_modules', tool));
}

/** Maps `src/<slug>.ts(12,5)` in compiler output back to the Markdown line. */
export function toMarkdownLines(text, examples) {
  let out = text;
  for (const example of examples) {
    const escaped = example.source.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    out = out.replace(
      new RegExp(`${escaped}[(:](\\d+)[,:](\\d+)\\)?`, 'g'),
      (_, line, column) => `${example.file}:${String(example.line + Number(line))}:${column}`,
    );
  }
  return out;
}
