/**
 * Whether the tests run in CI (`CI=true` or `CI=1`), where a missing service is an error rather
 * than a reason to skip.
 */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value === 'true' || value === '1';
}
