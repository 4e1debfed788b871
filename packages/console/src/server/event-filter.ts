import { ConsoleError } from '../errors.js';

/** Which change-log events a live stream sends; every field narrows it. */
export interface EventFilter {
  /** Entity type, exactly (`Order`). */
  readonly entity?: string;
  /** Event kind: `INSERT`, `UPDATE`, `DELETE` or `CUSTOM`. */
  readonly kind?: string;
  /** Tenant id, as text. */
  readonly tenant?: string;
  /** Text the row's JSON contains (after- or before-image), without regard to case. */
  readonly text?: string;
}

const KINDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'CUSTOM']);
const MAX_LENGTH = 200;

/**
 * Reads a filter from query parameters (`entity`, `kind`, `tenant`, `text`); empty values mean
 * no filter.
 *
 * @throws {ConsoleError} `INVALID_ARGUMENT` for an unknown kind or a value over 200 characters.
 */
export function parseEventFilter(query: URLSearchParams): EventFilter {
  const read = (name: keyof EventFilter): string | undefined => {
    const value = query.get(name)?.trim() ?? '';
    if (value.length > MAX_LENGTH) {
      throw new ConsoleError(
        'INVALID_ARGUMENT',
        `${name}: at most ${MAX_LENGTH} characters, got ${value.length}`,
      );
    }
    return value === '' ? undefined : value;
  };
  const kind = read('kind')?.toUpperCase();
  if (kind !== undefined && !KINDS.has(kind)) {
    throw new ConsoleError(
      'INVALID_ARGUMENT',
      `kind: expected one of INSERT, UPDATE, DELETE, CUSTOM, got ${JSON.stringify(kind)}`,
    );
  }
  const entity = read('entity');
  const tenant = read('tenant');
  const text = read('text');
  return {
    ...(entity === undefined ? {} : { entity }),
    ...(kind === undefined ? {} : { kind }),
    ...(tenant === undefined ? {} : { tenant }),
    ...(text === undefined ? {} : { text }),
  };
}

/** The filter as SQL conditions on change-log alias `l`, its values appended to `params`. */
export function filterConditions(filter: EventFilter, params: unknown[]): string[] {
  const param = (value: unknown): string => {
    params.push(value);
    return `$${String(params.length)}`;
  };
  const where = [`upper(l.modification_type) <> 'NOOP'`];
  if (filter.entity !== undefined) where.push(`l.object_type = ${param(filter.entity)}`);
  if (filter.kind !== undefined) {
    where.push(`upper(l.modification_type) = ${param(filter.kind)}`);
  }
  if (filter.tenant !== undefined) where.push(`l.tenant_id::text = ${param(filter.tenant)}`);
  if (filter.text !== undefined) {
    // strpos, not LIKE: the operator's text is matched literally, % and _ included.
    where.push(
      `strpos(lower(coalesce(l.object_data::text, '') || ' ' || coalesce(l.object_data_before::text, '')), lower(${param(filter.text)})) > 0`,
    );
  }
  return where;
}
