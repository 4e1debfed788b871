import { describe, expect, it } from 'vitest';

import { CHANGE_LOG_COLUMNS, changeLogColumns } from './change-log-table.js';

describe('changeLogColumns', () => {
  it('selects every column the converter reads, identifiers as text', () => {
    expect(CHANGE_LOG_COLUMNS).toContain('pk_entity_change_log::text AS pk_entity_change_log');
    expect(CHANGE_LOG_COLUMNS).toContain('object_data_before');
    expect(changeLogColumns('l')).toContain('l.object_id::text AS object_id');
    expect(changeLogColumns('l').split(', ')).toHaveLength(CHANGE_LOG_COLUMNS.split(', ').length);
  });

  it('rejects an alias that is not a plain identifier', () => {
    expect(() => changeLogColumns('l; DROP TABLE x')).toThrow(
      'alias must be a lower-case identifier',
    );
  });
});
