import { describe, expect, it } from 'vitest';

import { tomlLineIndex } from './toml-line-index.js';

const text = `# comment
version = 1

[observers.audit]
entity = "*"
retry.maxAttempts = 3
"quoted key" = 1
actions = [
  { type = "function", name = "a" },
  # a comment inside the array
  { type = "cache", keys = ["k:{{ entityId }}"] },
]
events = ["INSERT"]

[[observers.audit.more]]
x = 1

[[observers.audit.more]]
x = 2
`;

describe('tomlLineIndex', () => {
  const lineOf = tomlLineIndex(text);

  it('finds keys, dotted keys and quoted keys under table headers', () => {
    expect(lineOf(['version'])).toBe(2);
    expect(lineOf(['observers', 'audit'])).toBe(4);
    expect(lineOf(['observers', 'audit', 'entity'])).toBe(5);
    expect(lineOf(['observers', 'audit', 'retry', 'maxAttempts'])).toBe(6);
    expect(lineOf(['observers', 'audit', 'quoted key'])).toBe(7);
  });

  it('counts inline tables of multi-line arrays and continues after the array', () => {
    expect(lineOf(['observers', 'audit', 'actions'])).toBe(8);
    expect(lineOf(['observers', 'audit', 'actions', 0, 'name'])).toBe(9);
    expect(lineOf(['observers', 'audit', 'actions', 1])).toBe(11);
    expect(lineOf(['observers', 'audit', 'actions', 1, 'keys', 0])).toBe(11);
    expect(lineOf(['observers', 'audit', 'events', 0])).toBe(13);
  });

  it('numbers array tables and falls back to the nearest written parent', () => {
    expect(lineOf(['observers', 'audit', 'more', 0, 'x'])).toBe(16);
    expect(lineOf(['observers', 'audit', 'more', 1, 'x'])).toBe(19);
    expect(lineOf(['observers', 'audit', 'missing', 'deep'])).toBe(4);
    expect(lineOf(['nowhere'])).toBeUndefined();
  });
});
