import { describe, expect, it } from 'vitest';
import { nakDelay } from './nak-delay.js';

describe('nakDelay', () => {
  it('doubles per delivery up to the maximum when exponential', () => {
    const config = { nakDelay: 1_000, nakBackoff: 'exponential', nakMaxDelay: 5_000 } as const;
    expect([1, 2, 3, 4, 5, 60].map((n) => nakDelay(config, n))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000, 5_000,
    ]);
  });

  it('stays the same when fixed', () => {
    const config = { nakDelay: 250, nakBackoff: 'fixed', nakMaxDelay: 60_000 } as const;
    expect([1, 2, 10].map((n) => nakDelay(config, n))).toEqual([250, 250, 250]);
  });
});
