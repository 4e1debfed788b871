import { valueAt } from './value-at.js';
import { observersJsonSchema } from './observers-json-schema.js';

interface SchemaNode {
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly items?: SchemaNode;
  readonly oneOf?: readonly SchemaNode[];
  readonly anyOf?: readonly SchemaNode[];
  readonly const?: unknown;
}

/**
 * A hint for an unknown key at `path` in `input`: the closest known key (`did you mean
 * "method"?`) or the list of known keys, from the published JSON Schema.
 */
export function suggestKey(input: unknown, path: readonly PropertyKey[], key: string): string {
  const known = knownKeysAt(input, path);
  if (known.length === 0) return '';
  const best = known
    .map((candidate) => ({
      candidate,
      distance: distance(key.toLowerCase(), candidate.toLowerCase()),
    }))
    .sort((a, b) => a.distance - b.distance)[0];
  if (best !== undefined && best.distance <= Math.max(1, Math.floor(key.length / 3))) {
    return ` (did you mean "${best.candidate}"?)`;
  }
  return ` (known keys: ${known.join(', ')})`;
}

function knownKeysAt(input: unknown, path: readonly PropertyKey[]): string[] {
  let node: SchemaNode | undefined = choose(observersJsonSchema(), input, []);
  for (let index = 0; index < path.length && node !== undefined; index += 1) {
    const segment = String(path[index]);
    const next: SchemaNode | boolean | undefined =
      node.properties?.[segment] ??
      (typeof path[index] === 'number' ? node.items : node.additionalProperties);
    node = typeof next === 'object' ? choose(next, input, path.slice(0, index + 1)) : undefined;
  }
  // An open object (the source's options) has keys the schema does not list: no suggestion.
  if (node?.properties === undefined || node.additionalProperties !== false) return [];
  return Object.keys(node.properties);
}

/** Picks the `oneOf` branch whose `type` constant matches the value's `type`. */
function choose(node: SchemaNode, input: unknown, path: readonly PropertyKey[]): SchemaNode {
  const branches = node.oneOf ?? node.anyOf;
  if (branches === undefined) return node;
  const type = valueAt(input, [...path, 'type']);
  return branches.find((branch) => branch.properties?.type?.const === type) ?? node;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
