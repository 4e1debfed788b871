import { expect, it } from 'vitest';

// Imports the built package through its own exports map (a self-reference by name), as a user
// would: this fails when dist/ is missing, the map points at the wrong file, or an export
// disappeared. Run `pnpm exec tsc -b` first.
it('@fraiseql/core loads from dist through its exports map', async () => {
  const core = await import('@fraiseql/core');
  expect(import.meta.resolve('@fraiseql/core')).toMatch(/\/packages\/core\/dist\/index\.js$/);
  expect(core.parseDuration('5m')).toBe(300_000);
  expect(core.isFraiseQLError(new core.CoreError('INVALID_ARGUMENT', 'x'))).toBe(true);
  expect(core.quoteIdent('order')).toBe('"order"');
});
