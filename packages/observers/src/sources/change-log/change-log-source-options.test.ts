import type { SqlClient } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import { createChangeLogSource } from './change-log-source.js';
import { changeLogSourceOptionsSchema } from './change-log-source-options.js';

// Option parsing happens before any query: a client that fails every call proves it.
const unusedDb = new Proxy({} as SqlClient, {
  get: () => {
    throw new Error('the database must not be touched while parsing options');
  },
});

describe('change-log source options', () => {
  it('fills documented defaults and parses durations to milliseconds', () => {
    expect(changeLogSourceOptionsSchema.parse({ consumer: 'c', leaseDuration: '1m' })).toEqual({
      consumer: 'c',
      batchSize: 500,
      pollInterval: 5_000,
      fallbackPollInterval: 1_000,
      leaseDuration: 60_000,
      commitLagWindow: 30_000,
      statsInterval: 10_000,
      startFrom: 'beginning',
      listen: true,
      retention: false,
    });
    expect(
      changeLogSourceOptionsSchema.parse({ consumer: 'c', retention: { maxAge: '7d' } }).retention,
    ).toEqual({ maxAge: 604_800_000, batchSize: 1000, maxBatchesPerRun: 100, interval: 3_600_000 });
  });

  it('rejects bad options naming each path', () => {
    expect(() =>
      createChangeLogSource(unusedDb, {
        consumer: '',
        batchSize: 0,
        pollInterval: 'soon',
      }),
    ).toThrow(
      /createChangeLogSource\.options\.consumer: .*; createChangeLogSource\.options\.batchSize: .*; createChangeLogSource\.options\.pollInterval: expected a duration/,
    );
  });
});
