/**
 * `SET` clauses pinned on every function that computes or compares documents. A document is text
 * rendered by PostgreSQL (a `timestamptz` in JSON carries the session's offset, an `interval` and
 * a `date::text` follow the session's styles, a `float8` its digits) and a view may call functions
 * whose bodies resolve names on the search path at run time. Pinning these makes a projection's
 * content independent of the session of whoever writes (or checks) it: the same document whatever
 * the writer's `TimeZone`, `DateStyle`, `IntervalStyle`, `extra_float_digits` or `search_path`.
 * The search path is the one in effect when the DDL is applied (`FROM CURRENT`), which is the one
 * the view's own names were resolved with.
 */
export const DOCUMENT_SETTINGS: readonly (readonly [string, string])[] = [
  ['TimeZone', `'UTC'`],
  ['DateStyle', `'ISO, YMD'`],
  ['IntervalStyle', `'postgres'`],
  ['extra_float_digits', '1'],
  ['search_path', 'FROM CURRENT'],
];

/** The `SET` clauses of {@link DOCUMENT_SETTINGS}, one per line. */
export function documentSettingsSql(): string {
  return DOCUMENT_SETTINGS.map(([name, value]) =>
    value === 'FROM CURRENT' ? `SET ${name} FROM CURRENT` : `SET ${name} = ${value}`,
  ).join('\n');
}
