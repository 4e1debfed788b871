import { access, constants, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/**
 * The absolute path of an executable called `name`, looked up in `extraDirs` first, then in
 * `PATH`; `undefined` when none is installed.
 */
export async function findBinary(
  name: string,
  extraDirs: readonly string[] = [],
): Promise<string | undefined> {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const dir of [...extraDirs, ...pathDirs, '/usr/sbin', '/usr/local/sbin']) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** `/usr/lib/postgresql/<version>/bin` directories, newest version first. */
export async function postgresBinDirs(root = '/usr/lib/postgresql'): Promise<string[]> {
  let versions: string[];
  try {
    versions = await readdir(root);
  } catch {
    return [];
  }
  return versions
    .filter((version) => /^\d+(\.\d+)?$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(root, version, 'bin'));
}
