/**
 * Deep equality of two JSON values without recursion (row data can be nested deeper than the
 * call stack): same type and content, object keys in any order; `undefined` members count as
 * absent. Values that contain themselves are compared without looping.
 *
 * @example jsonEqual({ a: [1, 2] }, { a: [1, 2] }) // true
 */
export function jsonEqual(left: unknown, right: unknown): boolean {
  const pending: unknown[] = [left, right];
  // Pairs already compared or being compared: a value that contains itself ends instead of
  // looping (such a pair is equal unless some other member differs).
  let seen: WeakMap<object, WeakSet<object>> | undefined;
  while (pending.length > 0) {
    const b = pending.pop();
    const a = pending.pop();
    if (a === b) continue;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    seen ??= new WeakMap();
    let partners = seen.get(a);
    if (partners === undefined) seen.set(a, (partners = new WeakSet()));
    if (partners.has(b)) continue;
    partners.add(b);
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) return false;
      for (let index = 0; index < a.length; index += 1) pending.push(a[index], b[index]);
      continue;
    }
    if (Array.isArray(b)) return false;
    const aRecord = a as Record<string, unknown>;
    const bRecord = b as Record<string, unknown>;
    let count = 0;
    for (const key of Object.keys(aRecord)) {
      if (aRecord[key] === undefined) continue;
      if (!Object.hasOwn(bRecord, key)) return false;
      count += 1;
      pending.push(aRecord[key], bRecord[key]);
    }
    let otherCount = 0;
    for (const key of Object.keys(bRecord)) if (bRecord[key] !== undefined) otherCount += 1;
    if (count !== otherCount) return false;
  }
  return true;
}
