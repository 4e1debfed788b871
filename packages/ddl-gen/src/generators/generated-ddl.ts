/** One generated script. */
export interface GeneratedDdl {
  /** Main object created (`tv_user`, `va_user`, ...). */
  readonly name: string;
  /** Idempotent script creating or updating the objects. */
  readonly sql: string;
  /** Idempotent script removing every object `sql` creates (never the source tables or views). */
  readonly dropSql: string;
  /** What the generator could not do well, for the user to read. */
  readonly warnings: readonly string[];
}
