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
    expect(t.stdout).toContain('-c, --config <file>');
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
    expect(t.stderr).toContain("missing required argument 'id'");
    const c = capture();
    expect(await run(['observers', 'list'], { terminal: c, env: {}, cwd: '/' })).toBe(1);
    expect(c.stderr).toContain(
      'no fraiseql.config.yaml in /: pass --config <file> or run `fraiseql init`',
    );
  });
});

describe('usage mistakes', () => {
  const usage = async (
    argv: readonly string[],
  ): Promise<{ code: number; stderr: string; stdout: string }> => {
    const t = capture();
    const code = await run(argv, { terminal: t, env: {}, cwd: '/' });
    return { code, stderr: t.stderr, stdout: t.stdout };
  };

  it.each([
    [['observers', 'debug-event'], 'which event? give a JSON file'],
    [['observers', 'replay'], "required option '--from <seq>' not specified"],
    [['observers', 'replay', '--from', '9', '--to', 'x'], 'Expected a change-log sequence number'],
    [['migrate', 'extra'], 'fraiseql migrate takes no arguments; remove "extra"'],
    [['--json'], 'missing command: fraiseql <command>'],
    [['dlq'], 'missing command: fraiseql dlq <command>'],
    [['dlq', 'list', '--limit', 'abc'], 'Expected a whole number from 1 to 1000, got "abc"'],
    [['queue', 'dlq', 'list', '--limit', 'abc'], 'Expected a whole number'],
    [['queue', 'dlq', 'purge', '--older-than', 'banana'], 'Expected a duration such as 30s'],
    [['queue', 'dlq', 'purge'], '--older-than <age> (for example 7d) or --all'],
    [['queue', 'dlq', 'purge', '--all', '--older-than', '1d'], 'cannot be combined'],
    [['generate-views', '--kind', 'xx', 'Order'], 'Expected tv (table-backed JSON)'],
    [['dlq', 'lst'], "unknown command 'lst'"],
  ])('%j exits 2 saying %j, then shows the help', async (argv, message) => {
    const result = await usage(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage: fraiseql');
    expect(result.stdout).toBe('');
  });

  it('names the unknown option without parser boilerplate and suggests a near one', async () => {
    const result = await usage(['dlq', 'list', '--limt', '5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--limt'");
    expect(result.stderr).toContain('Did you mean --limit?');
    expect(result.stderr).not.toContain('positional argument');
  });

  it('lists every command in the top-level help and the purge default in its help', async () => {
    const top = await usage(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('queue dlq purge');
    expect(top.stdout).toContain('dlq show <id>');
    const purge = await usage(['queue', 'dlq', 'purge', '--help']);
    expect(purge.stdout).toContain('There is no default');
    expect(purge.stdout).toContain('--all');
  });

  it('accepts --json before the command too', async () => {
    const result = await usage(['--json', 'observers', 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no fraiseql.config.yaml in /');
  });
});
