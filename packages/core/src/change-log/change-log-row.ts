/** An integer as drivers return int8: node-postgres as a string, PGlite as a number. */
export type DriverInteger = string | number | bigint;

/**
 * One `core.tb_entity_change_log` row as a driver returns it (column names as in the table).
 * JSON columns may arrive parsed or as JSON text; identifiers as text, numbers or uuids.
 */
export interface ChangeLogRow {
  readonly pk_entity_change_log: DriverInteger;
  readonly id: string;
  readonly tenant_id?: DriverInteger | null;
  readonly fk_contact?: DriverInteger | null;
  readonly object_type: string;
  readonly object_id: DriverInteger | null;
  /** `INSERT`, `UPDATE`, `DELETE`, `NOOP` or `CUSTOM`. */
  readonly modification_type: string;
  readonly change_status?: string | null;
  /** The after-image, or a Debezium-style envelope `{ op, before, after, source }`. */
  readonly object_data?: unknown;
  readonly object_data_before?: unknown;
  readonly updated_fields?: readonly string[] | string | null;
  readonly extra_metadata?: unknown;
  /** A `Date`, timestamp text, or milliseconds since the epoch. */
  readonly created_at: Date | string | number;
  readonly transaction_id?: DriverInteger | null;
}
