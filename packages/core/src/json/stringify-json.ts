/**
 * `JSON.stringify(value)` without recursion: the same text for any JSON-compatible value
 * (objects, arrays, strings, finite numbers, booleans, null; `toJSON` is honoured, so `Date`s
 * become ISO strings; `undefined`, functions and symbols are left out of objects and become
 * `null` in arrays), at any nesting depth. V8's `JSON.stringify` overflows the stack a few
 * thousand levels down, and row data can be nested deeper than that. `bigint`s are written as
 * decimal strings instead of throwing.
 *
 * @throws {TypeError} for a value that contains itself (a cycle).
 * @example stringifyJson({ a: [1, { b: null }] }) // '{"a":[1,{"b":null}]}'
 */
export function stringifyJson(value: unknown): string {
  const top = scalar(prepare(value, ''));
  if (top !== NOT_SCALAR) return top ?? 'null';
  let out = '';
  // Frames of open containers: the container, its keys (objects) and the next position.
  const stack: Frame[] = [];
  const open = new Set<object>();
  const push = (container: object): void => {
    if (open.has(container)) throw new TypeError('stringifyJson: the value contains a cycle');
    open.add(container);
    if (Array.isArray(container)) {
      stack.push({ container, keys: undefined, index: 0, first: true });
      out += '[';
    } else {
      stack.push({ container, keys: Object.keys(container), index: 0, first: true });
      out += '{';
    }
  };
  push(prepare(value, '') as object);
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    const { container, keys } = frame;
    if (keys === undefined) {
      const items = container as unknown[];
      if (frame.index >= items.length) {
        out += ']';
        open.delete(container);
        stack.pop();
        continue;
      }
      const index = frame.index++;
      if (!frame.first) out += ',';
      frame.first = false;
      const item = prepare(items[index], String(index));
      const text = scalar(item);
      if (text === NOT_SCALAR) push(item as object);
      else out += text ?? 'null';
      continue;
    }
    if (frame.index >= keys.length) {
      out += '}';
      open.delete(container);
      stack.pop();
      continue;
    }
    const key = keys[frame.index++] ?? '';
    const item = prepare((container as Record<string, unknown>)[key], key);
    const text = scalar(item);
    if (text === undefined) continue;
    if (!frame.first) out += ',';
    frame.first = false;
    out += `${JSON.stringify(key)}:`;
    if (text === NOT_SCALAR) push(item as object);
    else out += text;
  }
  return out;
}

interface Frame {
  readonly container: object;
  readonly keys: readonly string[] | undefined;
  index: number;
  first: boolean;
}

const NOT_SCALAR = '\u0000container';

function prepare(value: unknown, key: string): unknown {
  if (typeof value === 'object' && value !== null) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return (toJSON as (key: string) => unknown).call(value, key);
  }
  return value;
}

/** The JSON text of a non-container value, undefined when it is left out, or NOT_SCALAR. */
function scalar(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value.toString()}"`;
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Number || value instanceof String || value instanceof Boolean) {
        return JSON.stringify(value);
      }
      return NOT_SCALAR;
    default:
      return undefined;
  }
}
