/** Default most characters of `search_text` per document. */
export const SEARCH_TEXT_MAX_CHARS = 32_766;

/** Most values visited per document: bounds the walk even for cyclic in-memory data. */
const MAX_VISITS = 10_000;
const MAX_DEPTH = 16;

/**
 * The text values of an event's data, space-separated, for full-text search. Collects at most
 * `maxChars` characters, visits at most 10 000 values 16 levels deep, and never throws,
 * whatever the data holds (a throwing getter or a cycle in an in-memory event).
 */
export function searchText(data: unknown, maxChars: number = SEARCH_TEXT_MAX_CHARS): string {
  const parts: string[] = [];
  let length = 0;
  let visits = 0;
  const walk = (value: unknown, depth: number): void => {
    if (length >= maxChars || visits >= MAX_VISITS) return;
    visits += 1;
    if (typeof value === 'string') {
      if (value !== '') {
        parts.push(value);
        length += value.length + 1;
      }
      return;
    }
    // Numbers and flags are searchable through the data field; text search skips them.
    if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) walk(record[key], depth + 1);
  };
  try {
    walk(data, 0);
  } catch {
    // A getter that throws (only possible for in-memory events): keep what was collected.
  }
  const text = parts.join(' ');
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}
