type Step = (value: unknown) => unknown;

/**
 * One step of a path: a property of an object or an index of an array. Names that exist on
 * `Object.prototype` or `Array.prototype` (`constructor`, `toString`, `map`) are read only when
 * they are own properties, so inherited members never leak in; other names skip that check.
 */
function compileStep(segment: string): Step {
  const inherited = segment in Object.prototype || segment in Array.prototype;
  if (inherited) {
    return (value) =>
      typeof value === 'object' && value !== null && Object.hasOwn(value, segment)
        ? (value as Record<string, unknown>)[segment]
        : undefined;
  }
  return (value) =>
    typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)[segment]
      : undefined;
}

/**
 * Builds a getter for a dotted path below a value (`['customer', 'tier']`); missing steps give
 * `undefined`. Only own properties are read, so `constructor` or `__proto__` never leak in.
 */
export function compilePathGetter(segments: readonly string[]): (root: unknown) => unknown {
  const steps = segments.map(compileStep);
  const [a, b, c] = steps;
  if (a === undefined) return (root) => root;
  if (b === undefined) return a;
  if (c === undefined) return (root) => b(a(root));
  if (steps.length === 3) return (root) => c(b(a(root)));
  return (root) => steps.reduce<unknown>((value, step) => step(value), root);
}
