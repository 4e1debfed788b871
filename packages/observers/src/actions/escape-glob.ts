/**
 * Escapes Redis glob metacharacters (`* ? [ ] \`) so the text matches only itself inside a
 * `SCAN … MATCH` pattern.
 *
 * @example escapeGlob('user:*') // 'user:\\*'
 */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}
