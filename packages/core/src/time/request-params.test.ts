import { describe, expect, it } from 'vitest';
import { isCoreError } from '../errors/core-error.js';
import { durationParam, integerParam, timeParam } from './request-params.js';

const now = new Date('2026-12-05T12:00:00Z');

function problem(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isCoreError(error, 'INVALID_ARGUMENT')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('request parameters', () => {
  it('reads times, durations and bounded whole numbers, and nothing for absent values', () => {
    expect(timeParam('2026-01-31T12:00:00Z', 'from', now)).toEqual(
      new Date('2026-01-31T12:00:00Z'),
    );
    expect(timeParam('24h', 'from', now)).toEqual(new Date('2026-12-04T12:00:00Z'));
    expect(timeParam('', 'from', now)).toBeUndefined();
    expect(durationParam('5m', 'bucket')).toBe(300_000);
    expect(integerParam('10', 'limit', 1, 100)).toBe(10);
    expect(integerParam(undefined, 'limit', 1, 100)).toBeUndefined();
  });

  it('names the parameter, what it expects and what it got', () => {
    expect(problem(() => timeParam('yesterday', 'from', now))).toBe(
      'from: expected an ISO-8601 time (2026-01-31T12:00:00Z) or a duration back from now (24h), got "yesterday"',
    );
    expect(problem(() => timeParam('2026-99-99', 'to', now))).toMatch(/^to: expected an ISO-8601/);
    expect(problem(() => durationParam('soon', 'bucket'))).toBe(
      'bucket: expected a duration (5m, 1h, 1d), got "soon"',
    );
    expect(problem(() => integerParam('0', 'limit', 1, 100))).toBe(
      'limit: expected a whole number from 1 to 100, got "0"',
    );
    expect(problem(() => integerParam('1e3', 'limit', 1, 10_000))).toContain('got "1e3"');
  });
});
