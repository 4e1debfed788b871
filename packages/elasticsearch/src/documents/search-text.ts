/** Default most characters of `search_text` per document. */
export const SEARCH_TEXT_MAX_CHARS = 32_766;

/**
 * The text values of an event's data, space-separated, for full-text search. Walks at most
 * `maxChars` characters and 16 levels deep; never throws, whatever the data holds.
 */
export function searchText(data: unknown, maxChars: number = SEARCH_TEXT_MAX_CHARS): string {
  let out = '';
  const stack: { value: unknown; depth: number }[] = [{ value: data, depth: 0 }];
  try {
    for (let top = stack.pop(); top !== undefined && out.length < maxChars; top = stack.pop()) {
      const { value, depth } = top;
      if (typeof value === 'string') {
        if (value !== '') out = out === '' ? value : `${out} ${value}`;
      } else if (typeof value === 'number' || typeof value === 'boolean') {
        // Numbers and flags are searchable through the data field; text search skips them.
      } else if (value !== null && typeof value === 'object' && depth < 16) {
        const values = Array.isArray(value) ? value : Object.values(value);
        for (let i = values.length - 1; i >= 0; i -= 1) {
          stack.push({ value: values[i], depth: depth + 1 });
        }
      }
    }
  } catch {
    // A getter that throws (only possible for in-memory events): keep what was collected.
  }
  return out.length > maxChars ? out.slice(0, maxChars) : out;
}
