import { parse } from 'libpg-query';
import { FlightError } from '../errors.js';
import { ALLOWED_NODES, DEFAULT_SQL_FUNCTIONS } from './sql-allow-list.js';

/** A table or view that SQL text names, as the parser saw it. */
export interface RelationReference {
  readonly schema: string | undefined;
  readonly name: string;
  /** Byte offset of the name in the statement. */
  readonly location: number;
}

/** What a reference resolved to: an allow-listed relation. */
export interface ResolvedRelation {
  readonly schema: string;
  readonly name: string;
  /** Column holding the tenant; a tenant-bound caller reads only its rows. */
  readonly tenantColumn?: string | undefined;
  /** The database role a statement reading it runs as (the server's own when absent). */
  readonly dbRole?: string | undefined;
}

/** Options of {@link guardSql}. */
export interface SqlGuardOptions {
  /**
   * Resolves the relations the statement names; an entry missing from the answer is not
   * allowed. Called once per statement with every distinct reference.
   */
  readonly resolve: (
    references: readonly RelationReference[],
  ) => Promise<Map<RelationReference, ResolvedRelation>>;
  /** Tenant of the caller: every relation is read through `WHERE <tenantColumn> = $n`. */
  readonly tenant?: string | undefined;
  /** Functions the statement may call (lower case, unqualified or `pg_catalog.`). */
  readonly functions?: ReadonlySet<string> | undefined;
  /** @defaultValue 1 MiB */
  readonly maxBytes?: number | undefined;
}

/** A statement that passed the guard, rewritten to name only what it was allowed. */
export interface GuardedSql {
  /** The statement with every relation schema-qualified (and tenant-filtered). */
  readonly sql: string;
  /** `$n` parameters of the caller's statement. */
  readonly parameterCount: number;
  /** Values to append after the caller's parameters (the tenant). */
  readonly extraParameters: readonly unknown[];
  /** Where each `$n` of {@link GuardedSql.sql} is, as UTF-8 byte offsets. */
  readonly parameterRefs: readonly { readonly number: number; readonly location: number }[];
  /** The relations the statement reads, as they resolved. */
  readonly relations: readonly ResolvedRelation[];
}

interface ParseFailure {
  message: string;
  sqlDetails?: { cursorPosition?: number };
}

type AstNode = Record<string, unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Characters as PostgreSQL counts them (code points). */
function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count++;
  }
  return count;
}

/** `at position 12 (line 1, column 13)`, position as a 0-based character offset. */
function where(bytes: Uint8Array, byteOffset: number): string {
  const before = decoder.decode(bytes.subarray(0, Math.max(0, byteOffset)));
  const lines = before.split('\n');
  const column = codePoints(lines.at(-1) ?? '') + 1;
  return `at position ${codePoints(before)} (line ${lines.length}, column ${column})`;
}

function refuse(message: string): FlightError {
  return new FlightError('INVALID_ARGUMENT', `sql: ${message}`);
}

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

/**
 * Checks one statement with PostgreSQL's own parser (libpg-query) and rewrites it for a
 * read-only run: it must be a single `SELECT` (CTEs, joins, subqueries and set operations
 * allowed) that reads only allow-listed relations and calls only allow-listed functions.
 * Every relation is replaced by its schema-qualified name, or, for a tenant-bound caller, by
 * `(SELECT * FROM schema.name WHERE tenant_column = $n)`, so the tenant filter is applied by
 * the server and never comes from the text. The rewritten statement is checked again.
 *
 * @throws {FlightError} `INVALID_ARGUMENT` with the parser's position for anything else
 *   (DDL, DML, `COPY`, `SELECT INTO`, `FOR UPDATE`, several statements, a relation or function
 *   outside the allow-list); `PERMISSION_DENIED` when a tenant-bound caller names a relation
 *   without a tenant column.
 */
export async function guardSql(text: string, options: SqlGuardOptions): Promise<GuardedSql> {
  const first = await inspect(text, options);
  const rewritten = rewrite(first, options);
  // The rewrite splices text; check that what runs is exactly what was meant.
  const second = await inspect(rewritten.sql, options);
  if (
    second.parameterCount !== first.parameterCount + rewritten.extraParameters.length ||
    second.relations.length !== first.relations.length ||
    second.relations.some((relation) => relation.schema === undefined)
  ) {
    throw refuse('the statement could not be rewritten safely; name relations plainly');
  }
  return {
    sql: rewritten.sql,
    parameterCount: first.parameterCount,
    extraParameters: rewritten.extraParameters,
    parameterRefs: second.parameterRefs,
    relations: [...new Set(first.resolved.values())],
  };
}

interface Inspection {
  readonly bytes: Uint8Array;
  readonly relations: RelationReference[];
  readonly resolved: Map<RelationReference, ResolvedRelation>;
  readonly parameterCount: number;
  readonly parameterRefs: { number: number; location: number }[];
}

async function inspect(text: string, options: SqlGuardOptions): Promise<Inspection> {
  const bytes = encoder.encode(text);
  if (bytes.byteLength > (options.maxBytes ?? 1 << 20)) {
    throw refuse(
      `statement is ${bytes.byteLength} bytes; the limit is ${options.maxBytes ?? 1 << 20}`,
    );
  }
  let tree: { stmts?: { stmt: AstNode; stmt_location?: number }[] };
  try {
    tree = (await parse(text)) as typeof tree;
  } catch (error) {
    const failure = error as ParseFailure;
    const position = failure.sqlDetails?.cursorPosition;
    // libpg-query reports a 0-based character offset here.
    const at = position === undefined ? '' : ` at position ${String(position)}`;
    throw new FlightError('INVALID_ARGUMENT', `sql: ${failure.message}${at}`, { cause: error });
  }
  const statements = tree.stmts ?? [];
  if (statements.length === 0) throw refuse('empty statement');
  if (statements.length > 1) {
    const second = skipSpace(bytes, statements[1]?.stmt_location ?? 0);
    throw refuse(
      `only one statement is accepted; found ${statements.length}, the second ${where(bytes, second)}`,
    );
  }
  const root = statements[0]?.stmt ?? {};
  const [kind] = Object.keys(root);
  if (kind !== 'SelectStmt') {
    throw refuse(
      `only a read-only SELECT is accepted, not ${kind ?? 'this statement'} ${where(bytes, statements[0]?.stmt_location ?? 0)}`,
    );
  }
  const functions = options.functions ?? DEFAULT_SQL_FUNCTIONS;
  const state = {
    relations: [] as RelationReference[],
    parameters: 0,
    refs: [] as { number: number; location: number }[],
  };
  walk(root, [], 0, { bytes, functions, state });
  const resolved = await options.resolve(state.relations);
  for (const relation of state.relations) {
    const target = resolved.get(relation);
    const name =
      relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`;
    if (target === undefined) {
      throw refuse(
        `relation ${JSON.stringify(name)} ${where(bytes, relation.location)} is not an allowed dataset`,
      );
    }
    if (options.tenant !== undefined && target.tenantColumn === undefined) {
      throw new FlightError(
        'PERMISSION_DENIED',
        `sql: relation ${JSON.stringify(name)} ${where(bytes, relation.location)} is not readable by a tenant-bound caller`,
      );
    }
  }
  return {
    bytes,
    relations: state.relations,
    resolved,
    parameterCount: state.parameters,
    parameterRefs: state.refs,
  };
}

interface WalkContext {
  readonly bytes: Uint8Array;
  readonly functions: ReadonlySet<string>;
  readonly state: {
    relations: RelationReference[];
    parameters: number;
    refs: { number: number; location: number }[];
  };
}

function stringsOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const value = (item as { String?: { sval?: unknown } }).String?.sval;
    return typeof value === 'string' ? value : '';
  });
}

function locationOf(node: unknown, fallback: number): number {
  const location = (node as { location?: unknown } | undefined)?.location;
  return typeof location === 'number' && location >= 0 ? location : fallback;
}

/**
 * Walks the parse tree. `scope` holds the CTE names visible here; a wrapped node
 * (`{ NodeType: {...} }`) must be of an allowed type, a plain struct is walked through.
 */
function walk(value: unknown, scope: readonly string[], at: number, ctx: WalkContext): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, scope, at, ctx);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const entries = Object.entries(value as AstNode);
  const [only] = entries;
  if (entries.length === 1 && only !== undefined && /^[A-Z]/.test(only[0])) {
    visitNode(only[0], (only[1] ?? {}) as AstNode, scope, at, ctx);
    return;
  }
  for (const [, child] of entries) walk(child, scope, at, ctx);
}

function visitNode(
  type: string,
  node: AstNode,
  scope: readonly string[],
  parentAt: number,
  ctx: WalkContext,
): void {
  const at = locationOf(node, parentAt);
  if (!ALLOWED_NODES.has(type)) {
    throw refuse(`${type} is not allowed in a read-only query ${where(ctx.bytes, at)}`);
  }
  switch (type) {
    case 'SelectStmt':
      visitSelect(node, scope, at, ctx);
      return;
    case 'RangeVar': {
      const name = typeof node.relname === 'string' ? node.relname : '';
      const schema = typeof node.schemaname === 'string' ? node.schemaname : undefined;
      if (typeof node.catalogname === 'string') {
        throw refuse(`catalog-qualified names are not accepted ${where(ctx.bytes, at)}`);
      }
      if (schema === undefined && scope.includes(name)) return;
      ctx.state.relations.push({ schema, name, location: at });
      walk(node.alias, scope, at, ctx);
      return;
    }
    case 'FuncCall': {
      const names = stringsOf(node.funcname);
      const name = (names.at(-1) ?? '').toLowerCase();
      const qualifier = names.length > 1 ? names.slice(0, -1).join('.') : undefined;
      if ((qualifier !== undefined && qualifier !== 'pg_catalog') || !ctx.functions.has(name)) {
        throw refuse(
          `function ${JSON.stringify(names.join('.'))} ${where(ctx.bytes, at)} is not allowed`,
        );
      }
      for (const [key, child] of Object.entries(node)) {
        if (key !== 'funcname') walk(child, scope, at, ctx);
      }
      return;
    }
    case 'TypeCast': {
      const typeName = stringsOf((node.typeName as AstNode | undefined)?.names);
      const last = (typeName.at(-1) ?? '').toLowerCase();
      if (last.startsWith('reg')) {
        throw refuse(`a cast to ${last} ${where(ctx.bytes, at)} is not allowed`);
      }
      walk(node.arg, scope, at, ctx);
      return;
    }
    case 'ParamRef': {
      const number = typeof node.number === 'number' ? node.number : 0;
      if (number < 1 || number > 65535) throw refuse(`bad parameter ${where(ctx.bytes, at)}`);
      ctx.state.parameters = Math.max(ctx.state.parameters, number);
      ctx.state.refs.push({ number, location: at });
      return;
    }
    default:
      for (const child of Object.values(node)) walk(child, scope, at, ctx);
  }
}

function visitSelect(node: AstNode, scope: readonly string[], at: number, ctx: WalkContext): void {
  if (node.intoClause !== undefined) {
    throw refuse(`SELECT INTO writes a table and is not accepted ${where(ctx.bytes, at)}`);
  }
  if (node.lockingClause !== undefined) {
    throw refuse(`FOR UPDATE/SHARE locks rows and is not accepted ${where(ctx.bytes, at)}`);
  }
  let inner = scope;
  const withClause = node.withClause as AstNode | undefined;
  if (withClause !== undefined) {
    const ctes = (Array.isArray(withClause.ctes) ? withClause.ctes : []) as AstNode[];
    const names = ctes.map((cte) => {
      const body = (cte.CommonTableExpr ?? {}) as AstNode;
      return typeof body.ctename === 'string' ? body.ctename : '';
    });
    const recursive = withClause.recursive === true;
    ctes.forEach((cte, i) => {
      const body = cte.CommonTableExpr as AstNode | undefined;
      if (body === undefined) throw refuse(`unexpected WITH item ${where(ctx.bytes, at)}`);
      // A non-recursive CTE sees only the ones before it; the same name further on is a table.
      const visible = [...scope, ...(recursive ? names : names.slice(0, i))];
      visitNode('CommonTableExpr', body, visible, at, ctx);
    });
    inner = [...scope, ...names];
  }
  for (const [key, child] of Object.entries(node)) {
    if (key === 'withClause') continue;
    walk(child, inner, at, ctx);
  }
}

interface Rewrite {
  readonly sql: string;
  readonly extraParameters: unknown[];
}

function rewrite(inspection: Inspection, options: SqlGuardOptions): Rewrite {
  const { bytes, relations, resolved } = inspection;
  const extraParameters: unknown[] = [];
  const tenantParameter = options.tenant === undefined ? undefined : inspection.parameterCount + 1;
  if (options.tenant !== undefined) extraParameters.push(options.tenant);
  const edits = relations
    .map((relation) => {
      const target = resolved.get(relation);
      if (target === undefined) throw refuse('internal: unresolved relation');
      const end = nameEnd(bytes, relation.location);
      if (end <= relation.location) {
        throw refuse(`could not read the relation name ${where(bytes, relation.location)}`);
      }
      const qualified = `${quote(target.schema)}.${quote(target.name)}`;
      let replacement = qualified;
      if (tenantParameter !== undefined && target.tenantColumn !== undefined) {
        const hasAlias = hasAliasAfter(bytes, end);
        replacement =
          `(SELECT * FROM ${qualified} WHERE ${quote(target.tenantColumn)} = $${String(tenantParameter)})` +
          (hasAlias ? '' : ` AS ${quote(target.name)}`);
      }
      return { start: relation.location, end, replacement: encoder.encode(replacement) };
    })
    .sort((a, b) => a.start - b.start);
  const parts: Uint8Array[] = [];
  let cursor = 0;
  for (const edit of edits) {
    if (edit.start < cursor) throw refuse('overlapping relation names');
    parts.push(bytes.subarray(cursor, edit.start), edit.replacement);
    cursor = edit.end;
  }
  parts.push(bytes.subarray(cursor));
  const length = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return { sql: decoder.decode(out), extraParameters };
}

const DOT = 0x2e;
const QUOTE = 0x22;

function isIdentStart(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x5f ||
    byte >= 0x80
  );
}

function isIdentPart(byte: number): boolean {
  return isIdentStart(byte) || (byte >= 0x30 && byte <= 0x39) || byte === 0x24;
}

/** Skips whitespace and comments; returns the next offset. */
function skipSpace(bytes: Uint8Array, offset: number): number {
  for (;;) {
    const byte = bytes[offset];
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0c) {
      offset++;
    } else if (byte === 0x2d && bytes[offset + 1] === 0x2d) {
      while (offset < bytes.byteLength && bytes[offset] !== 0x0a) offset++;
    } else if (byte === 0x2f && bytes[offset + 1] === 0x2a) {
      let depth = 1;
      offset += 2;
      while (offset < bytes.byteLength && depth > 0) {
        if (bytes[offset] === 0x2f && bytes[offset + 1] === 0x2a) {
          depth++;
          offset += 2;
        } else if (bytes[offset] === 0x2a && bytes[offset + 1] === 0x2f) {
          depth--;
          offset += 2;
        } else offset++;
      }
    } else {
      return offset;
    }
  }
}

/** End of one identifier (plain or double-quoted) starting at `offset`, or `offset`. */
function identifierEnd(bytes: Uint8Array, offset: number): number {
  if (bytes[offset] === QUOTE) {
    let i = offset + 1;
    while (i < bytes.byteLength) {
      if (bytes[i] === QUOTE) {
        if (bytes[i + 1] === QUOTE) i += 2;
        else return i + 1;
      } else i++;
    }
    return offset;
  }
  if (!isIdentStart(bytes[offset] ?? 0)) return offset;
  let i = offset + 1;
  while (i < bytes.byteLength && isIdentPart(bytes[i] ?? 0)) i++;
  return i;
}

/** End of a possibly qualified name (`a`, `a.b`, `"A" . "b"`) starting at `offset`. */
function nameEnd(bytes: Uint8Array, offset: number): number {
  let end = identifierEnd(bytes, offset);
  if (end === offset) return offset;
  for (;;) {
    const dot = skipSpace(bytes, end);
    if (bytes[dot] !== DOT) return end;
    const next = skipSpace(bytes, dot + 1);
    const after = identifierEnd(bytes, next);
    if (after === next) return end;
    end = after;
  }
}

const NOT_ALIASES = new Set([
  'where',
  'join',
  'inner',
  'left',
  'right',
  'full',
  'cross',
  'natural',
  'on',
  'using',
  'group',
  'order',
  'limit',
  'offset',
  'union',
  'intersect',
  'except',
  'having',
  'window',
  'fetch',
  'for',
  'tablesample',
  'lateral',
  'returning',
]);

/** Whether an alias (`AS x`, `x`, `"x"`) follows a relation name. */
function hasAliasAfter(bytes: Uint8Array, end: number): boolean {
  const next = skipSpace(bytes, end);
  const tokenEnd = identifierEnd(bytes, next);
  if (tokenEnd === next) return false;
  if (bytes[next] === QUOTE) return true;
  const word = decoder.decode(bytes.subarray(next, tokenEnd)).toLowerCase();
  if (word === 'as') return true;
  return !NOT_ALIASES.has(word);
}
