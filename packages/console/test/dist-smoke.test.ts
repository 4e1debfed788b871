import { createAdminAuth } from '@fraiseql/core';
import { expect, it } from 'vitest';

// Imports the built package through its own exports map (a self-reference by name), as a user
// would: this fails when dist/ is missing, the map points at the wrong file, an export
// disappeared or the built app is not in dist/app. Run `pnpm build` first.
it('@fraiseql/console loads from dist through its exports map, with its built app', async () => {
  const consolePackage = await import('@fraiseql/console');
  expect(import.meta.resolve('@fraiseql/console')).toMatch(/\/packages\/console\/dist\/index\.js$/);
  const handler = consolePackage.createConsoleHandler({
    auth: createAdminAuth({ tokens: [], allowedHosts: [] }),
  });
  expect(handler.basePath).toBe('/console');
  await handler.close();
  expect(
    consolePackage.isConsoleError(new consolePackage.ConsoleError('ASSETS_MISSING', 'x')),
  ).toBe(true);
});
