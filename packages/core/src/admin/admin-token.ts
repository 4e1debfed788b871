import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * What a token may do on an admin surface: `read-only` sees everything and changes nothing,
 * `operator` may also change state (pause, retry, remove …).
 */
export type AdminRole = 'read-only' | 'operator';

/** A token with the name that audit logs show for it and its role. */
export interface AdminToken {
  /** Who acts with this token, as audit lines show it (`ops`, `ci`, `console`). */
  readonly name: string;
  readonly role: AdminRole;
  /** The secret itself; never logged. */
  readonly token: string;
}

/** Shortest token accepted: anything shorter is guessable. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** Digest a presented token is compared through, so the comparison time never depends on it. */
function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Finds the token that `presented` equals, comparing against every configured token in
 * constant time (SHA-256 digests compared with `timingSafeEqual`).
 */
export function findAdminToken(
  tokens: readonly AdminToken[],
  presented: string,
): AdminToken | undefined {
  const digest = tokenDigest(presented);
  let found: AdminToken | undefined;
  for (const candidate of tokens) {
    // Every candidate is compared, so the time does not tell which one matched.
    if (timingSafeEqual(tokenDigest(candidate.token), digest)) found ??= candidate;
  }
  return found;
}

/** A new random token: 32 bytes, base64url. */
export function generateAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Reads the token stored at `path`, or creates it (a new random token, file mode 0600, its
 * directory created) when the file does not exist. `created` says the token is new, so the
 * caller can show it once.
 *
 * @throws {Error} when the file exists but holds a token shorter than {@link MIN_ADMIN_TOKEN_LENGTH}.
 */
export async function loadOrCreateAdminToken(
  path: string,
): Promise<{ readonly token: string; readonly created: boolean }> {
  try {
    const token = (await readFile(path, 'utf8')).trim();
    if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new Error(
        `admin token file ${path} holds fewer than ${MIN_ADMIN_TOKEN_LENGTH} characters; delete it to have a new token generated`,
      );
    }
    return { token, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true });
  const token = generateAdminToken();
  // `wx`: never overwrite a file another process created meanwhile.
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(`${token}\n`);
  } finally {
    await handle.close();
  }
  await chmod(path, 0o600);
  return { token, created: true };
}
