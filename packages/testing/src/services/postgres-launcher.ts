import { execFile } from 'node:child_process';
import { chown, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestingError } from '../errors.js';
import { findBinary, postgresBinDirs } from './find-binary.js';
import type { LaunchPlanner } from './launch-plan.js';

const run = promisify(execFile);

/** The uid/gid of a local user from /etc/passwd, or `undefined` when there is no such user. */
async function localUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) {
      return { uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

/**
 * A throwaway PostgreSQL cluster: `initdb` (trust auth) then `postgres` on
 * 127.0.0.1. `initdb` and `postgres` refuse to run as root, so as root both run as the
 * `postgres` user, owning the temp dir.
 */
export const planPostgres: LaunchPlanner = async (dir, port) => {
  const binDirs = await postgresBinDirs();
  const initdb = await findBinary('initdb', binDirs);
  const postgres = await findBinary('postgres', binDirs);
  if (initdb === undefined || postgres === undefined) {
    throw new TestingError(
      'SERVICE_START_FAILED',
      'postgres: initdb/postgres binaries not found in /usr/lib/postgresql/*/bin or PATH',
    );
  }
  let owner: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    owner = await localUser('postgres');
    if (owner === undefined) {
      throw new TestingError(
        'SERVICE_START_FAILED',
        'postgres: running as root and there is no `postgres` user to run initdb/postgres as',
      );
    }
    await chown(dir, owner.uid, owner.gid);
  }
  const dataDir = join(dir, 'data');
  return {
    kind: 'postgres',
    command: postgres,
    args: [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    // fsync and full-page writes only protect against an OS crash: without them a killed
    // server still recovers every commit (synchronous_commit stays on for crash tests).
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    // SIGINT is PostgreSQL's "fast" shutdown: abort sessions, no waiting for clients.
    stopSignal: 'SIGINT',
    ...owner,
    prepare: async () => {
      await run(
        initdb,
        ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'],
        { cwd: dir, ...owner },
      );
    },
  };
};
