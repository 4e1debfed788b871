import { readFileSync } from 'node:fs';
import { CHANGE_LOG_HORIZON } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';

const squash = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

describe('core.fn_observer_claim_batch', () => {
  it('uses core’s visibility horizon, word for word', () => {
    // The claim function is SQL in a migration; it must not drift from the horizon every other
    // change-log reader uses, or it could claim past a transaction still in flight.
    const sql = readFileSync(
      new URL('../../../sql/migrations/0013_observer_claim_function.sql', import.meta.url),
      'utf8',
    );
    expect(squash(sql)).toContain(`l.transaction_id < ${squash(CHANGE_LOG_HORIZON)}`);
  });
});
