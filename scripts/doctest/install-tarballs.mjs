// The "npm install one package into an existing service" path: packs every published workspace
// package with pnpm (which rewrites `workspace:` and `catalog:` ranges as npm will see them),
// installs the tarballs with npm into a consumer project outside the workspace, and checks what
// a consumer gets: a LICENSE, internal dependencies on the version being published, and source
// maps whose sources are in the package.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${String(result.status)}:\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/** The published (non-private) workspace packages: name, version, directory, manifest. */
export function publishedPackages(root) {
  return readdirSync(join(root, 'packages'))
    .sort()
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => pkg.private !== true);
}

/** The version of `dep` installed for the workspace package in `pkgDir` (its resolved copy). */
function installedVersion(pkgDir, dep) {
  const file = join(pkgDir, 'node_modules', dep, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
}

const parse = (version) => version.split('.').map(Number);
const compare = (a, b) => {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i += 1) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** Whether `version` satisfies `range`: space-joined `^x.y.z`, `>=x.y.z`, `>x`, `<x`, `<=x`. */
export function satisfies(version, range) {
  return range.split(/\s+/).every((part) => {
    const match = /^(\^|>=|<=|>|<)?(\d+(?:\.\d+){0,2})$/.exec(part);
    if (match === null) return false;
    const [, op = '', bound = ''] = match;
    const order = compare(version, bound);
    if (op === '^') {
      const [major, minor] = parse(bound);
      const [vMajor, vMinor] = parse(version);
      return order >= 0 && vMajor === major && (major !== 0 || vMinor === minor);
    }
    if (op === '>=') return order >= 0;
    if (op === '<=') return order <= 0;
    if (op === '>') return order > 0;
    if (op === '<') return order < 0;
    return order === 0;
  });
}

function walk(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** Problems with one installed package: missing LICENSE, unresolved source maps. */
function checkInstalled(dir, name, version, published) {
  const problems = [];
  const pkgDir = join(dir, 'node_modules', name);
  if (!existsSync(join(pkgDir, 'LICENSE'))) problems.push(`${name}: the tarball has no LICENSE`);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  if (manifest.version !== version) problems.push(`${name}: packed as ${manifest.version}`);
  for (const field of ['repository', 'homepage', 'bugs']) {
    if (manifest[field] === undefined) problems.push(`${name}: package.json has no "${field}"`);
  }
  for (const field of ['dependencies', 'peerDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      const target = published.get(dep);
      if (target === undefined) continue;
      // A dependency follows the version published with it; an optional peer may be wider.
      const ok = field === 'dependencies' ? range === `^${target}` : satisfies(target, range);
      if (!ok) problems.push(`${name}: ${field}["${dep}"] is "${range}", published ${target}`);
    }
  }
  for (const file of walk(pkgDir).filter((path) => path.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(file, 'utf8'));
    map.sources.forEach((source, index) => {
      const hasContent = typeof map.sourcesContent?.[index] === 'string';
      const target = resolve(dirname(file), map.sourceRoot ?? '', source);
      if (!hasContent && !existsSync(target)) {
        problems.push(`${name}: ${file.slice(pkgDir.length + 1)} points to missing ${source}`);
      }
    });
  }
  return problems;
}

/**
 * Packs the published packages into `dir/tarballs`, installs them (and the optional peers the
 * examples import, at the workspace's versions) into `dir` with npm, links the type-checker,
 * and returns the problems found in what was installed.
 */
export function installTarballs(root, dir, log) {
  const packages = publishedPackages(root);
  const tarballs = join(dir, 'tarballs');
  mkdirSync(tarballs, { recursive: true });
  const dependencies = {};
  const published = new Map(packages.map(({ pkg }) => [pkg.name, pkg.version]));
  for (const { dir: pkgDir, pkg } of packages) {
    run('pnpm', ['pack', '--pack-destination', tarballs], pkgDir);
    const file = `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`;
    dependencies[pkg.name] = `file:${join(tarballs, file)}`;
    // Type declarations a TypeScript consumer installs for what the examples import (`pg`).
    const types = Object.keys(pkg.devDependencies ?? {}).filter((dep) => dep.startsWith('@types/'));
    for (const peer of [...Object.keys(pkg.peerDependencies ?? {}), ...types]) {
      const version = installedVersion(pkgDir, peer);
      if (!peer.startsWith('@fraiseql/') && version !== undefined) dependencies[peer] ??= version;
    }
  }
  const manifestPath = join(dir, 'package.json');
  const manifest = existsSync(manifestPath)
    ? JSON.parse(readFileSync(manifestPath, 'utf8'))
    : { name: 'fraiseql-doc-examples', private: true, type: 'module' };
  writeFileSync(manifestPath, `${JSON.stringify({ ...manifest, dependencies }, null, 2)}\n`);
  log(`npm install of ${String(packages.length)} tarballs into ${dir}`);
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'error'],
    dir,
  );
  for (const tool of ['@types/node', 'typescript']) {
    const path = join(dir, 'node_modules', tool);
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      symlinkSync(join(root, 'node_modules', tool), path, 'dir');
    }
  }
  return packages.flatMap(({ pkg }) => checkInstalled(dir, pkg.name, pkg.version, published));
}
