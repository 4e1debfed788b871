import { describe, expect, it } from 'vitest';
import { CompileCache } from './compile-cache.js';

describe('CompileCache', () => {
  it('computes a key once and returns the kept value after that', () => {
    const cache = new CompileCache<{ n: number }>(4, 100);
    let calls = 0;
    const first = cache.get('a', () => ({ n: ++calls }));
    const second = cache.get('a', () => ({ n: ++calls }));
    expect(second).toBe(first);
    expect(calls).toBe(1);
  });

  it('drops the least recently used key when full', () => {
    const cache = new CompileCache<string>(2, 100);
    cache.get('a', () => 'a1');
    cache.get('b', () => 'b1');
    cache.get('a', () => 'a2'); // a is now the most recent
    cache.get('c', () => 'c1'); // evicts b
    expect(cache.get('a', () => 'a3')).toBe('a1');
    expect(cache.get('b', () => 'b2')).toBe('b2');
    expect(cache.size).toBe(2);
  });

  it('keeps nothing when the computation throws, and nothing for an oversized key', () => {
    const cache = new CompileCache<string>(4, 3);
    expect(() =>
      cache.get('bad', () => {
        throw new Error('invalid');
      }),
    ).toThrow('invalid');
    expect(cache.get('bad', () => 'ok')).toBe('ok');
    expect(cache.get('long-key', () => 'x')).toBe('x');
    expect(cache.get('long-key', () => 'y')).toBe('y');
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
