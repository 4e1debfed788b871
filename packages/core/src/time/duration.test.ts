import { describe, expect, it } from 'vitest';

import { isCoreError } from '../errors/core-error.js';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads milliseconds and unit text', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1h 30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration(' 10s ')).toBe(10_000);
  });

  it('names the path and the value it cannot read', () => {
    const bad: [unknown, string][] = [
      [-1, 'retry.maxDelay: expected a finite number of milliseconds >= 0, got -1'],
      [Number.POSITIVE_INFINITY, 'retry.maxDelay: expected a finite number'],
      ['', 'retry.maxDelay: expected a duration such as "30s", got ""'],
      ['10 parsecs', 'retry.maxDelay: expected <number><unit> parts'],
      ['5x', 'got "5x"'],
      ['s5', 'got "s5"'],
    ];
    for (const [input, message] of bad) {
      let caught: unknown;
      try {
        parseDuration(input as number | string, 'retry.maxDelay');
      } catch (error) {
        caught = error;
      }
      expect(isCoreError(caught, 'INVALID_DURATION')).toBe(true);
      expect((caught as Error).message).toContain(message);
    }
  });
});
