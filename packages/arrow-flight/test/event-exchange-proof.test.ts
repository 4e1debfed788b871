import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const postgres = await requireService('postgres');
const PROOF = fileURLToPath(
  new URL('../../../bench/arrow-flight-exchange-proof.mjs', import.meta.url),
);

interface ProofSummary {
  readonly kills: number;
  readonly violations: number;
  readonly maxRedeliveredAfterKill: number;
}

// The short form of bench/arrow-flight-exchange-proof.mjs (20 runs of 20,000 events there): the
// consuming process is killed with SIGKILL at random points and resumed; the script checks that
// the sink ends with every event exactly once, all acknowledged, and that only unacknowledged
// events came again.
describe.skipIf(postgres === undefined)('DoExchange consumer killed with SIGKILL', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(postgres);
  });
  afterAll(async () => {
    await database.close();
  });

  it('resumes after each kill with every event delivered to the sink once and acknowledged', async () => {
    const output = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = spawn(process.execPath, [PROOF], {
          env: {
            ...process.env,
            PROOF_DATABASE_URL: database.url,
            RUNS: '1',
            EVENTS: '1000',
            KILLS: '2',
            WINDOW: '400',
            BATCH_ROWS: '100',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.on('exit', (code) => {
          resolve({ code, stdout, stderr });
        });
      },
    );
    expect(output.stderr).toBe('');
    expect(output.code).toBe(0);
    const summary = JSON.parse(output.stdout.trim().split('\n').at(-1) ?? '{}') as ProofSummary;
    expect(summary.violations).toBe(0);
    expect(summary.kills).toBeGreaterThan(0);
    expect(summary.maxRedeliveredAfterKill).toBeLessThanOrEqual(400);
  }, 120_000);
});
