import { describe, expect, it } from 'vitest';
import { jobIdOf } from './job-id.js';

describe('jobIdOf', () => {
  it('joins event id, observer and action index', () => {
    expect(jobIdOf('0b7e4a2c-1f7d-4d7e-9c1e-2a3b4c5d6e7f', 'orders', 2)).toBe(
      '0b7e4a2c-1f7d-4d7e-9c1e-2a3b4c5d6e7f:orders:2',
    );
  });

  it('refuses parts that would break the three-part id', () => {
    expect(() => jobIdOf('a:b', 'orders', 0)).toThrow(/event id/);
    expect(() => jobIdOf('e', 'a:b', 0)).toThrow(/observer/);
    expect(() => jobIdOf('e', 'o', -1)).toThrow(/action index/);
  });
});
