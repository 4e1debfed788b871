import { describe, expect, it } from 'vitest';
import { rangeLiterals } from './time-range.js';

describe('rangeLiterals', () => {
  it('rounds from down and the exclusive to up, so the current second is inside the range', () => {
    const range = rangeLiterals(
      { from: new Date('2026-12-05T11:00:00.700Z'), to: new Date('2026-12-05T12:05:03.400Z') },
      'test',
    );
    expect(range).toEqual({
      from: "toDateTime('2026-12-05 11:00:00', 'UTC')",
      to: "toDateTime('2026-12-05 12:05:04', 'UTC')",
    });
    // A whole second stays as it is.
    expect(
      rangeLiterals(
        { from: new Date('2026-12-05T11:00:00Z'), to: new Date('2026-12-05T12:00:00Z') },
        'test',
      ).to,
    ).toBe("toDateTime('2026-12-05 12:00:00', 'UTC')");
  });
});
