/**
 * Maps paths of a TOML document to the lines that define them, by reading table headers
 * (`[a.b]`, `[[a.b]]`), `key = value` lines and inline tables inside multi-line arrays. A path
 * not written out (inside an inline value) gets the line of its nearest written parent.
 */
export function tomlLineIndex(text: string): (path: readonly PropertyKey[]) => number | undefined {
  const lines = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  const record = (path: readonly string[], line: number): void => {
    const key = JSON.stringify(path);
    if (!lines.has(key)) lines.set(key, line);
  };
  let table: string[] = [];
  // Open multi-line array: its path and the index of the next inline table in it.
  let openArray: { path: string[]; next: number; depth: number } | undefined;

  text.split(/\r?\n/).forEach((raw, offset) => {
    const lineNumber = offset + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (openArray !== undefined) {
      if (line.startsWith('{')) {
        const elementPath = [...openArray.path, String(openArray.next)];
        openArray.next += 1;
        record(elementPath, lineNumber);
        for (const pair of line.matchAll(/(?:^\{|,)\s*([A-Za-z0-9_"'.-]+)\s*=/g)) {
          record([...elementPath, ...splitKey(pair[1] ?? '')], lineNumber);
        }
      }
      openArray.depth += count(line, '[') - count(line, ']');
      if (openArray.depth <= 0) openArray = undefined;
      return;
    }
    const arrayTable = /^\[\[\s*(.+?)\s*\]\]/.exec(line);
    if (arrayTable !== null) {
      const path = splitKey(arrayTable[1] ?? '');
      const key = JSON.stringify(path);
      const index = arrayCounts.get(key) ?? 0;
      arrayCounts.set(key, index + 1);
      table = [...path, String(index)];
      record(path, lineNumber);
      record(table, lineNumber);
      return;
    }
    const header = /^\[\s*(.+?)\s*\]/.exec(line);
    if (header !== null) {
      table = splitKey(header[1] ?? '');
      record(table, lineNumber);
      return;
    }
    const assignment =
      /^((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=\s*(.*)$/.exec(
        line,
      );
    if (assignment === null) return;
    const path = [...table, ...splitKey(assignment[1] ?? '')];
    record(path, lineNumber);
    const value = assignment[2] ?? '';
    if (value.startsWith('[')) {
      const depth = count(value, '[') - count(value, ']');
      if (depth > 0) openArray = { path, next: 0, depth };
    }
  });

  return (path) => {
    const segments = path.map(String);
    for (let length = segments.length; length > 0; length -= 1) {
      const line = lines.get(JSON.stringify(segments.slice(0, length)));
      if (line !== undefined) return line;
    }
    return undefined;
  };
}

function splitKey(key: string): string[] {
  const parts: string[] = [];
  for (const match of key.matchAll(
    /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/g,
  )) {
    parts.push(match[1] ?? match[2] ?? match[3] ?? '');
  }
  return parts;
}

function count(text: string, char: string): number {
  let total = 0;
  let quote: string | undefined;
  for (const c of text) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') break;
    else if (c === char) total += 1;
  }
  return total;
}
