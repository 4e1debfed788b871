import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleError } from '../errors.js';

/** One built file of the browser app. */
export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** True for content-hashed files (`assets/…`), cacheable forever. */
  readonly immutable: boolean;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/**
 * Where the package ships the built app: `dist/app` of the package (this file is
 * `dist/server/…` when installed, `src/server/…` when run from source).
 */
export const APP_DIR = fileURLToPath(new URL('../../dist/app/', import.meta.url));

/**
 * Loads every file of the built app into memory, keyed by its path relative to the app root
 * (`index.html`, `assets/index-1a2b.js`): the set is small and fixed, and serving from a map
 * means no request path ever reaches the file system.
 *
 * @throws {ConsoleError} `ASSETS_MISSING` when the directory or its `index.html` is absent.
 */
export function loadStaticAssets(dir: string = APP_DIR): ReadonlyMap<string, StaticAsset> {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new ConsoleError(
      'ASSETS_MISSING',
      `console app not found at ${dir}: the package's dist/app is missing (reinstall @fraiseql/console, or run its build)`,
    );
  }
  const assets = new Map<string, StaticAsset>();
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const file = join(folder, name);
      if (statSync(file).isDirectory()) {
        walk(file);
        continue;
      }
      const key = relative(dir, file).split(sep).join('/');
      assets.set(key, {
        body: readFileSync(file),
        contentType: TYPES[extname(name)] ?? 'application/octet-stream',
        immutable: key.startsWith('assets/'),
      });
    }
  };
  walk(dir);
  return assets;
}
