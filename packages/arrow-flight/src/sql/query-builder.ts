import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';

/**
 * A kysely instance used only to compile queries (never to run them): statements are built
 * from structured input with identifiers quoted and values as parameters, then run through
 * core's `SqlClient`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const queryBuilder = new Kysely<any>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
