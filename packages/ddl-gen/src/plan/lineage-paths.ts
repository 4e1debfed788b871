import { plainName, type SqlName } from '../sql/sql-name.js';
import type { JoinStep } from './projection-plan.js';

/** A foreign key: `columns` of `table` reference `refColumns` of `refTable`. */
export interface ForeignKey {
  readonly table: SqlName;
  readonly columns: readonly string[];
  readonly refTable: SqlName;
  readonly refColumns: readonly string[];
}

/** Limits of {@link lineagePaths}. */
export interface LineagePathOptions {
  /**
   * Longest path, in joins.
   * @defaultValue 4
   */
  readonly maxDepth?: number | undefined;
  /**
   * Most paths per table; beyond it the caller falls back to a full refresh.
   * @defaultValue 32
   */
  readonly maxPaths?: number | undefined;
}

interface Edge {
  readonly to: SqlName;
  readonly on: readonly (readonly [string, string])[];
}

/**
 * Every simple foreign-key path (followed in either direction) from `from` to `root`, so that a
 * changed row of `from` finds every document it can appear in. Following all paths, not only
 * the shortest, matters: a comment reaches its post's author through `tb_post`, which a direct
 * `tb_comment.fk_user` edge would miss. Self-references are followed one level (a reply refreshes
 * its parent). Returns `undefined` when more than `maxPaths` paths exist.
 */
export function lineagePaths(
  from: SqlName,
  root: SqlName,
  foreignKeys: readonly ForeignKey[],
  options: LineagePathOptions = {},
): JoinStep[][] | undefined {
  const maxDepth = options.maxDepth ?? 4;
  const maxPaths = options.maxPaths ?? 32;
  const edges = new Map<string, Edge[]>();
  const add = (fromTable: SqlName, edge: Edge): void => {
    const key = plainName(fromTable);
    edges.set(key, [...(edges.get(key) ?? []), edge]);
  };
  for (const fk of foreignKeys) {
    const pairs = fk.columns.map((column, index) => [column, fk.refColumns[index] ?? ''] as const);
    // Child row → the parent it references, and parent row → the children referencing it.
    add(fk.table, { to: fk.refTable, on: pairs });
    add(fk.refTable, { to: fk.table, on: pairs.map(([a, b]) => [b, a] as const) });
  }
  const rootKey = plainName(root);
  const paths: JoinStep[][] = [];
  const state = { overflow: false };
  const walk = (at: SqlName, path: JoinStep[], visited: Set<string>, usedSelf: boolean): void => {
    if (state.overflow) return;
    const atKey = plainName(at);
    if (atKey === rootKey) {
      paths.push([...path]);
      if (paths.length > maxPaths) state.overflow = true;
    }
    if (path.length >= maxDepth) return;
    for (const edge of edges.get(atKey) ?? []) {
      const toKey = plainName(edge.to);
      const self = toKey === atKey;
      // Past the root only a self-reference can lead back to it.
      if (atKey === rootKey && !self) continue;
      if (self ? usedSelf : visited.has(toKey)) continue;
      visited.add(toKey);
      walk(edge.to, [...path, { table: edge.to, on: edge.on }], visited, usedSelf || self);
      if (!self) visited.delete(toKey);
    }
  };
  walk(from, [], new Set([plainName(from)]), false);
  return state.overflow ? undefined : paths;
}
