/**
 * Parses a one-dimensional PostgreSQL `text[]` literal (`{a,"b c",NULL}`) as drivers return it
 * when they do not know the array type. Returns undefined for anything else.
 */
export function parseTextArray(literal: string): (string | null)[] | undefined {
  const text = literal.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  const body = text.slice(1, -1);
  if (body === '') return [];
  const items: (string | null)[] = [];
  let index = 0;
  while (index <= body.length) {
    let item = '';
    let quoted = false;
    if (body[index] === '"') {
      quoted = true;
      index += 1;
      while (index < body.length && body[index] !== '"') {
        if (body[index] === '\\') index += 1;
        item += body.charAt(index);
        index += 1;
      }
      if (body[index] !== '"') return undefined;
      index += 1;
    } else {
      while (index < body.length && body[index] !== ',') {
        item += body.charAt(index);
        index += 1;
      }
      item = item.trim();
    }
    items.push(!quoted && item.toUpperCase() === 'NULL' ? null : item);
    if (index === body.length) break;
    if (body[index] !== ',') return undefined;
    index += 1;
  }
  return items;
}
