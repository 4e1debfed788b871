import { describe, expect, it } from 'vitest';
import { graphqlSqlType } from './graphql-sql-type.js';

const objects = new Set(['Post']);

describe('graphqlSqlType', () => {
  it.each([
    ['Int', 'integer', 'text'],
    ['Int!', 'integer', 'text'],
    ['Float', 'double precision', 'text'],
    ['Boolean', 'boolean', 'text'],
    ['String', 'text', 'text'],
    ['ID', 'uuid', 'text'],
    ['UUID', 'uuid', 'text'],
    ['DateTime', 'timestamptz', 'text'],
    ['Date', 'date', 'text'],
    ['Decimal', 'numeric', 'text'],
    ['JSON', 'jsonb', 'jsonb'],
    ['Post', 'jsonb', 'jsonb'],
    ['[Post!]!', 'jsonb', 'jsonb'],
    ['[Int]', 'jsonb', 'jsonb'],
    ['OrderStatus', 'text', 'text'],
  ])('%s → %s', (type, sqlType, read) => {
    expect(graphqlSqlType(type, objects)).toMatchObject({ sqlType, read });
  });

  it('maps ID to text on request', () => {
    expect(graphqlSqlType('ID', objects, { idType: 'text' }).sqlType).toBe('text');
  });
});
