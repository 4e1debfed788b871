import { describe, expect, it } from 'vitest';
import { escapeGlob } from './escape-glob.js';

describe('escapeGlob', () => {
  it('escapes every Redis glob metacharacter and nothing else', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
    expect(escapeGlob('user:42:profile-^!')).toBe('user:42:profile-^!');
  });
});
