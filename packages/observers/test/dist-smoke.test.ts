import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';

// Imports the built package through its own exports map (a self-reference by name), as a user
// would: this fails when dist/ is missing, the map points at the wrong file, or an export
// disappeared. Run `pnpm exec tsc -b` first.
it('@fraiseql/observers loads from dist through its exports map', async () => {
  const observers = await import('@fraiseql/observers');
  expect(import.meta.resolve('@fraiseql/observers')).toMatch(
    /\/packages\/observers\/dist\/index\.js$/,
  );
  const condition = observers.compileCondition("field_changed_to(status, 'shipped')");
  const event = {
    id: '0b8e6a8e-3c1f-4f7e-9d36-3f4c7b0c2a11',
    seq: 1n,
    eventType: 'UPDATE' as const,
    entityType: 'Order',
    entityId: 'o-1',
    data: { status: 'shipped' },
    changes: { status: { old: 'paid', new: 'shipped' } },
    timestamp: new Date(),
  };
  expect(condition.evaluate(event)).toBe(true);
  const config = observers.parseObserversConfig(
    'observers:\n  o:\n    entity: Order\n    events: [UPDATE]\n    actions: [{ type: function, name: f }]\n',
    { format: 'yaml', envPrefix: false },
  );
  expect(
    observers.createMatcher(observers.createObserverDefinitions(config)).match(event),
  ).toHaveLength(1);
  expect(observers.isObserverError(new observers.ObserverError('CONFIG_INVALID', 'x'))).toBe(true);
  expect(observers.observerMigrations.namespace).toBe('observers');
});

it('publishes the JSON Schema of the config file through its exports map', async () => {
  const path = import.meta.resolve('@fraiseql/observers/observers.schema.json');
  const schema = JSON.parse(await readFile(new URL(path), 'utf8')) as { $schema?: string };
  expect(schema.$schema).toMatch(/json-schema\.org/);
});
