import { z } from 'zod';

type Presence = 'exactly-one' | 'at-least-one';

/**
 * A check that `keys` of an object are present exactly once (or at least once). It runs even
 * when other fields failed, so one pass reports every problem of a config.
 */
export function fieldPresence(
  presence: Presence,
  keys: readonly [string, string, ...string[]],
): z.core.$ZodCheck<unknown> {
  return z.superRefine<unknown>(
    (value, ctx) => {
      // With `when` the check also sees input that failed other checks.
      if (typeof value !== 'object' || value === null) return;
      const record = value as Record<string, unknown>;
      const present = keys.filter((key) => record[key] !== undefined);
      const names = keys.map((key) => `"${key}"`).join(presence === 'exactly-one' ? ' or ' : ', ');
      if (present.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          input: value,
          message:
            presence === 'exactly-one' ? `needs one of ${names}` : `needs at least one of ${names}`,
        });
      } else if (presence === 'exactly-one' && present.length > 1) {
        ctx.addIssue({
          code: 'custom',
          path: [present[1] ?? keys[1]],
          input: value,
          message: `set only one of ${names}, not both`,
        });
      }
    },
    { when: () => true },
  );
}
