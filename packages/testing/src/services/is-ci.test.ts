import { describe, expect, it } from 'vitest';
import { isCI } from './is-ci.js';

describe('isCI', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['TRUE', true],
    ['false', false],
    ['0', false],
    ['', false],
    [undefined, false],
  ])('CI=%s → %s', (value, expected) => {
    expect(isCI(value === undefined ? {} : { CI: value })).toBe(expected);
  });
});
