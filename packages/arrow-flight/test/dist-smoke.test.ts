import { expect, it } from 'vitest';

// Imports the built package through its own exports map (a self-reference by name), as a user
// would. Run `pnpm exec tsc -b` first.
it('@fraiseql/arrow-flight loads from dist through its exports map', async () => {
  const flight = await import('@fraiseql/arrow-flight');
  expect(import.meta.resolve('@fraiseql/arrow-flight')).toMatch(
    /\/packages\/arrow-flight\/dist\/index\.js$/,
  );
  expect(flight.isFlightError(new flight.FlightError('NOT_FOUND', 'x'), 'NOT_FOUND')).toBe(true);
  expect(flight.parseFlightServerOptions({}).port).toBe(50051);
  expect(typeof flight.startFlightServer).toBe('function');
  expect(typeof flight.FlightClient).toBe('function');
});
