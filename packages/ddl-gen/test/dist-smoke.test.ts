import { expect, it } from 'vitest';

// Imports the built package through its own exports map (a self-reference by name), as a user
// would: this fails when dist/ is missing, the map points at the wrong file, or an export
// disappeared. Run `pnpm exec tsc -b` first.
it('@fraiseql/ddl-gen loads from dist through its exports map', async () => {
  const ddl = await import('@fraiseql/ddl-gen');
  expect(import.meta.resolve('@fraiseql/ddl-gen')).toMatch(/\/packages\/ddl-gen\/dist\/index\.js$/);
  const schema = ddl.loadSchema({
    types: [{ name: 'User', fields: [{ name: 'age', type: 'Int', nullable: true }] }],
    queries: [{ name: 'users', return_type: 'User', returns_list: true, sql_source: 'v_user' }],
  });
  const plan = await ddl.planProjection(schema, 'User');
  const tv = ddl.generateTvDdl(plan);
  expect(tv.name).toBe('tv_user');
  // The WebAssembly parser loads from dist as well.
  expect(await ddl.validateDdl(tv.sql)).toMatchObject({ valid: true });
  expect(
    ddl.suggestRefreshStrategy({ writesPerMinute: 0, readsPerSecond: 1, maxStalenessMs: 0 })
      .strategy,
  ).toBe('manual');
});
