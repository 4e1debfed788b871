import { describe, expect, it } from 'vitest';
import { lineagePaths, type ForeignKey } from './lineage-paths.js';

const t = (name: string) => ({ schema: 'public', name });
const fk = (table: string, column: string, ref: string, refColumn: string): ForeignKey => ({
  table: t(table),
  columns: [column],
  refTable: t(ref),
  refColumns: [refColumn],
});
const keys = [
  fk('tb_post', 'fk_user', 'tb_user', 'pk_user'),
  fk('tb_comment', 'fk_post', 'tb_post', 'pk_post'),
  fk('tb_comment', 'fk_user', 'tb_user', 'pk_user'),
  fk('tb_comment', 'fk_parent', 'tb_comment', 'pk_comment'),
];
const routes = (paths: ReturnType<typeof lineagePaths>) =>
  (paths ?? []).map((path) =>
    path.map((step) => `${step.table.name}(${step.on.map((p) => p.join('=')).join()})`).join(' > '),
  );

describe('lineagePaths', () => {
  it('follows every simple path, in both directions of each foreign key', () => {
    expect(routes(lineagePaths(t('tb_comment'), t('tb_user'), keys)).sort()).toEqual([
      'tb_comment(fk_parent=pk_comment) > tb_post(fk_post=pk_post) > tb_user(fk_user=pk_user)',
      'tb_comment(fk_parent=pk_comment) > tb_user(fk_user=pk_user)',
      'tb_comment(pk_comment=fk_parent) > tb_post(fk_post=pk_post) > tb_user(fk_user=pk_user)',
      'tb_comment(pk_comment=fk_parent) > tb_user(fk_user=pk_user)',
      'tb_post(fk_post=pk_post) > tb_user(fk_user=pk_user)',
      'tb_user(fk_user=pk_user)',
    ]);
    // From the parent side: a user row leads to the posts that reference it.
    expect(routes(lineagePaths(t('tb_user'), t('tb_post'), keys))).toContain(
      'tb_post(pk_user=fk_user)',
    );
  });

  it('includes the root itself and one level of self-reference', () => {
    expect(routes(lineagePaths(t('tb_comment'), t('tb_comment'), keys))).toEqual([
      '',
      'tb_comment(fk_parent=pk_comment)',
      'tb_comment(pk_comment=fk_parent)',
    ]);
  });

  it('returns no path for an unrelated table and undefined past maxPaths', () => {
    expect(lineagePaths(t('tb_tag'), t('tb_user'), keys)).toEqual([]);
    expect(lineagePaths(t('tb_comment'), t('tb_user'), keys, { maxPaths: 2 })).toBeUndefined();
    expect(lineagePaths(t('tb_comment'), t('tb_user'), keys, { maxDepth: 1 })).toHaveLength(1);
  });
});
