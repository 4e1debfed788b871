import { describe, expect, it } from 'vitest';
import { TestingError, isTestingError } from './errors.js';

describe('isTestingError', () => {
  it('recognises its own errors and look-alikes from a duplicate install', () => {
    expect(isTestingError(new TestingError('TIMEOUT', 'late'))).toBe(true);
    const duplicate = Object.assign(new Error('late'), { name: 'TestingError', code: 'TIMEOUT' });
    expect(isTestingError(duplicate)).toBe(true);
    expect(isTestingError(new Error('late'))).toBe(false);
    expect(isTestingError({ name: 'TestingError', code: 'TIMEOUT' })).toBe(false);
  });

  it('names itself and chains the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new TestingError('SERVICE_UNAVAILABLE', 'no redis', { cause });
    expect(error.name).toBe('TestingError');
    expect(error.cause).toBe(cause);
  });
});
