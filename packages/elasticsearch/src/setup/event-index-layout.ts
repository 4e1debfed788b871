import type { EntityEvent } from '@fraiseql/core';

import { assertIndexName, monthlyIndexName } from '../documents/event-index-name.js';
import type { BulkOperation } from '../documents/bulk-item.js';

/** How event-history documents are laid out in indices. */
export interface EventIndexLayout {
  /** `monthly` (`<prefix>-YYYY.MM`, `index` operations) or `data-stream` (`<prefix>`, `create`). */
  readonly mode: 'monthly' | 'data-stream';
  readonly prefix: string;
  /** Index an event goes to. */
  indexOf(event: EntityEvent): string;
  readonly operation: BulkOperation;
  /** What searches and aggregations read (`<prefix>-*` or the data stream). */
  readonly searchTarget: string;
  /** `index_patterns` of the index template. */
  readonly indexPatterns: readonly string[];
}

/**
 * The layout for a prefix and mode. Monthly indices are named from the event's commit time, so
 * a re-sent event always lands in the same index and overwrites itself; a data stream writes
 * with `create`, so a re-sent event is a conflict that counts as already stored (until the data
 * stream rolls over: see the README's limits).
 *
 * @throws {ElasticsearchError} `INVALID_ARGUMENT` for a prefix that is not a valid index name.
 */
export function eventIndexLayout(
  prefix: string,
  mode: 'monthly' | 'data-stream',
): EventIndexLayout {
  assertIndexName(prefix, 'index prefix');
  if (mode === 'data-stream') {
    return Object.freeze({
      mode,
      prefix,
      indexOf: () => prefix,
      operation: 'create',
      searchTarget: prefix,
      indexPatterns: Object.freeze([prefix]),
    });
  }
  return Object.freeze({
    mode,
    prefix,
    indexOf: (event: EntityEvent) => monthlyIndexName(prefix, event.timestamp),
    operation: 'index',
    searchTarget: `${prefix}-*`,
    indexPatterns: Object.freeze([`${prefix}-*`]),
  });
}
