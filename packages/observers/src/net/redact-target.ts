/**
 * Describes a destination for logs and error messages without secrets: scheme, host and port
 * only. Paths (Slack and many webhook URLs carry tokens there), query strings and credentials
 * are replaced by `/…`.
 *
 * @example redactTarget(new URL('https://u:p@hooks.example.com/T0/B0/XyZ?k=1'), 'POST') // 'POST https://hooks.example.com/…'
 */
export function redactTarget(url: URL, method?: string): string {
  const rest = url.pathname === '/' && url.search === '' ? '' : '/…';
  const where = `${url.protocol}//${url.host}${rest}`;
  return method === undefined ? where : `${method} ${where}`;
}
