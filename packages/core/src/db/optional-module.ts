import { CoreError } from '../errors/core-error.js';

/**
 * Imports the optional dependency `name`.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` naming it and how to install it, prefixed by `doing`
 */
export async function importOptional(name: string, doing: string): Promise<unknown> {
  try {
    return (await import(name)) as unknown;
  } catch (cause) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `${doing}: the optional dependency "${name}" is not installed; run \`npm install ${name}\``,
      { cause },
    );
  }
}

/**
 * A loader of what `pick` takes from the optional dependency `name`, imported at the first call
 * and shared by later ones (a failed import is tried again on the next call).
 */
export function optionalModule<T>(
  name: string,
  doing: string,
  pick: (module: unknown) => T,
): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= importOptional(name, doing).then(pick, (error: unknown) => {
      loading = undefined;
      throw error;
    }));
}
