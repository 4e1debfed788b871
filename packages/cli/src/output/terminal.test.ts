import { describe, expect, it } from 'vitest';
import { processTerminal, styles } from './terminal.js';

describe('colours', () => {
  it('are off with NO_COLOR even when forced, and on with FORCE_COLOR', () => {
    expect(processTerminal({ NO_COLOR: '1', FORCE_COLOR: '1' }).color).toBe(false);
    expect(processTerminal({ FORCE_COLOR: '1' }).color).toBe(true);
  });

  it('wrap text in ANSI codes only when enabled', () => {
    expect(styles(false).red('x')).toBe('x');
    expect(styles(true).red('x')).toBe('\u001b[31mx\u001b[39m');
  });
});
