/** Who is calling: the subject of a bearer token, or the anonymous caller when auth is off. */
export interface Principal {
  /** Username or API key name; `anonymous` when auth is off. */
  readonly subject: string;
  /** Roles granted; datasets name the roles that may read them. */
  readonly roles: readonly string[];
  /** Tenant whose rows alone this caller may read; undefined for a caller bound to none. */
  readonly tenant: string | undefined;
}

/** The caller when authentication is off (loopback only): may read every dataset. */
export const ANONYMOUS: Principal = Object.freeze({
  subject: 'anonymous',
  roles: Object.freeze(['*']),
  tenant: undefined,
});

/** True when `principal` holds one of `roles` (an empty or absent list admits everyone). */
export function hasAnyRole(principal: Principal, roles: readonly string[] | undefined): boolean {
  if (roles === undefined || roles.length === 0) return true;
  return principal.roles.includes('*') || roles.some((role) => principal.roles.includes(role));
}
