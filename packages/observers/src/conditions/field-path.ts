/** Reads one step of a path: an own property of an object or an index of an array. */
function step(value: unknown, segment: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  return Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
}

/**
 * Builds a getter for a dotted path below a value (`['customer', 'tier']`); missing steps give
 * `undefined`. Only own properties are read, so `constructor` or `__proto__` never leak in.
 */
export function compilePathGetter(segments: readonly string[]): (root: unknown) => unknown {
  const [a = '', b = '', c = ''] = segments;
  switch (segments.length) {
    case 0:
      return (root) => root;
    case 1:
      return (root) => step(root, a);
    case 2:
      return (root) => step(step(root, a), b);
    case 3:
      return (root) => step(step(step(root, a), b), c);
    default:
      return (root) => segments.reduce<unknown>(step, root);
  }
}
