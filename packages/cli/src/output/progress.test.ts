import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';
import type { Terminal } from './terminal.js';

function terminal(interactive: boolean): Terminal & { errors: string[] } {
  const errors: string[] = [];
  return {
    errors,
    out: () => undefined,
    err: (text) => errors.push(text),
    interactive,
    color: false,
  };
}

describe('createProgress', () => {
  it('prints one plain line per item when standard error is not a TTY', () => {
    const t = terminal(false);
    const progress = createProgress(t, 'replaying', 2);
    progress.tick('seq 1');
    progress.tick('seq 2');
    progress.done();
    expect(t.errors).toEqual(['[1/2] seq 1\n', '[2/2] seq 2\n']);
  });

  it('redraws one bar in place on a TTY and clears it when done', () => {
    const t = terminal(true);
    const progress = createProgress(t, 'retrying', 4);
    progress.tick('a');
    progress.tick('b');
    progress.done();
    expect(t.errors).toHaveLength(3);
    expect(t.errors[1]).toBe(`\r\u001b[2Kretrying ${'█'.repeat(14)}${'░'.repeat(14)} 2/4 b`);
    expect(t.errors[2]).toBe('\r\u001b[2K');
  });

  it('stays silent when quiet (--json)', () => {
    const t = terminal(true);
    const progress = createProgress(t, 'x', 1, true);
    progress.tick('a');
    progress.done();
    expect(t.errors).toEqual([]);
  });
});
