import { CliError } from '../errors.js';

/**
 * Imports an optional peer dependency of the CLI. Commands that need a heavy integration (the
 * job queue's BullMQ and ioredis) load it on use, so the other commands run without it.
 *
 * @throws {CliError} `DEPENDENCY_MISSING` naming the package and how to install it.
 */
export async function importOptional<T>(
  load: () => Promise<T>,
  name: string,
  usedBy: string,
): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' && (cause as Error).message.includes(name)) {
      throw new CliError(
        'DEPENDENCY_MISSING',
        `${usedBy} needs ${name}, which is not installed: npm install ${name} (or pnpm add ${name}, yarn add ${name}) next to @fraiseql/cli`,
        { cause },
      );
    }
    throw cause;
  }
}
