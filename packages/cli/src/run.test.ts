import { describe, expect, it } from 'vitest';
import { run } from './run.js';
import type { Terminal } from './output/terminal.js';

function capture(): Terminal & { stdout: string; stderr: string } {
  const t = {
    stdout: '',
    stderr: '',
    interactive: false,
    color: false,
    out: (text: string) => {
      t.stdout += text;
    },
    err: (text: string) => {
      t.stderr += text;
    },
  };
  return t;
}

describe('run', () => {
  it('prints a command help with its options and examples, exit 0', async () => {
    const t = capture();
    expect(await run(['dlq', 'retry', '--help'], { terminal: t })).toBe(0);
    expect(t.stdout).toContain('Usage: fraiseql dlq retry <id> [options]');
    expect(t.stdout).toContain('--config <value>');
    expect(t.stdout).toContain('$ fraiseql dlq retry');
  });

  it('prints the package version', async () => {
    const t = capture();
    expect(await run(['--version'], { terminal: t })).toBe(0);
    expect(t.stdout).toMatch(/^fraiseql \d+\.\d+\.\d+\n$/);
  });

  it('exits 2 for a missing argument and 1 for a missing config, naming what to do', async () => {
    const t = capture();
    expect(await run(['dlq', 'show'], { terminal: t, env: {} })).toBe(2);
    expect(t.stderr).toContain('expected 1 argument(s) <id>, got 0');
    const c = capture();
    expect(await run(['observers', 'list'], { terminal: c, env: {}, cwd: '/' })).toBe(1);
    expect(c.stderr).toContain(
      'no fraiseql.config.yaml in /: pass --config <file> or run `fraiseql init`',
    );
  });
});
