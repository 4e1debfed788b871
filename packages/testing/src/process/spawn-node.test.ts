import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTestingError } from '../errors.js';
import { createTempDir, type TempDir } from '../fixtures/temp-dir.js';
import { spawnNode } from './spawn-node.js';

let dir: TempDir;
let script: string;

beforeAll(async () => {
  dir = await createTempDir();
  script = join(dir.path, 'child.mjs');
  // Prints its args, then a tick per line of stdin-less timer until killed or told to exit.
  await writeFile(
    script,
    `console.log('ready ' + process.argv.slice(2).join(',') + ' ' + process.env.GREETING);
if (process.env.EXIT_NOW === '1') { console.error('bye'); process.exit(3); }
let n = 0;
setInterval(() => console.log('tick ' + ++n), 5);
`,
  );
});

afterAll(async () => {
  await dir.close();
});

describe('spawnNode', () => {
  it('passes args and env, and waits for matching lines', async () => {
    await using child = spawnNode(script, { args: ['a', 'b'], env: { GREETING: 'hi' } });
    const ready = await child.waitForLine(/^ready (\S+) (\S+)$/);
    expect(ready.slice(1)).toEqual(['a,b', 'hi']);
    const tick = await child.waitForLine(/^tick (\d+)$/);
    expect(Number(tick[1])).toBeGreaterThanOrEqual(1);
    const seen = [];
    for await (const line of child.stdoutLines) {
      seen.push(line);
      if (seen.length === 4) break;
    }
    expect(seen[0]).toMatch(/^ready/);
    expect(seen.slice(1)).toEqual(['tick 1', 'tick 2', 'tick 3']);
  });

  it('reports a kill by signal', async () => {
    const child = spawnNode(script);
    await child.waitForLine(/tick 2/);
    await expect(child.kill('SIGKILL')).resolves.toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('rejects waitForLine when the process exits first, with its stderr', async () => {
    const child = spawnNode(script, { env: { EXIT_NOW: '1' } });
    const error: unknown = await child.waitForLine(/never/).catch((e: unknown) => e);
    expect(isTestingError(error) && error.code).toBe('PROCESS_EXITED');
    expect((error as Error).message).toContain('bye');
    await expect(child.exited).resolves.toEqual({ code: 3, signal: null });
  });
});
