import { createObserverDefinitions } from '@fraiseql/observers';
import type { Command } from '../command.js';
import { CONFIG_OPTION } from './common-options.js';
import { loadConfig } from '../context/load-config.js';
import { formatTable } from '../output/format-table.js';
import { print } from '../output/print.js';
import { actionSummary } from './action-summary.js';

/** `fraiseql observers list`: the observers of the config. */
export const observersListCommand: Command = {
  path: ['observers', 'list'],
  summary: 'list the observers of the config with their entity, events, condition and actions',
  options: CONFIG_OPTION,
  examples: ['fraiseql observers list', 'fraiseql observers list --json'],
  async run(context) {
    const { config } = await loadConfig(context);
    const observers = createObserverDefinitions(config).map((definition) => ({
      name: definition.name,
      entity: definition.entity,
      events: definition.events,
      condition: definition.condition,
      enabled: definition.enabled,
      onFailure: definition.onFailure,
      actions: definition.actions.map((action) => actionSummary(action)),
    }));
    print(context, observers, () =>
      formatTable(
        ['NAME', 'ENTITY', 'EVENTS', 'CONDITION', 'ENABLED', 'ON FAILURE', 'ACTIONS'],
        observers.map((o) => [
          o.name,
          o.entity,
          o.events.join(','),
          o.condition,
          o.enabled,
          o.onFailure,
          o.actions.join('; '),
        ]),
      ),
    );
    return 0;
  },
};
