import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir } from '@fraiseql/testing';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('pnpm start', () => {
  it('stops with exit code 0 on Ctrl-C: the shell of the script hands its place to the server', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    // The part after the build step is what runs the server; run it as pnpm does (sh -c) in a
    // process group of its own and press Ctrl-C there, which signals the whole group.
    const line = pkg.scripts.start?.split('&&').at(-1)?.trim() ?? '';
    expect(line).toContain('apps/server/dist/main.js');
    await using dir = await createTempDir('fraiseql-start');
    const child = spawn('sh', ['-c', line], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        // The embedded defaults, whatever this process has set.
        ...Object.fromEntries(
          Object.entries(process.env).filter(
            ([name]) => !name.startsWith('FRAISEQL_') && !name.endsWith('_URL'),
          ),
        ),
        FRAISEQL_DATA_DIR: join(dir.path, 'data'),
        FRAISEQL_HTTP_PORT: '0',
        FRAISEQL_FLIGHT_PORT: '0',
        LOG_FORMAT: 'json',
      },
    });
    let out = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => {
        resolve({ code, signal });
      }),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('HTTP listening')) resolve();
      });
      child.on('exit', () => {
        reject(new Error(`the server stopped before listening:\n${out}`));
      });
    });
    process.kill(-(child.pid ?? 0), 'SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(out).toContain('"msg":"stopped"');
  });
});
