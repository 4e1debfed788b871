import { describe, expect, it } from 'vitest';
import { classifyFailure } from './classify-failure.js';

describe('classifyFailure', () => {
  it('reads the exception code from 18.x and current error bodies', () => {
    const old = classifyFailure(
      { error: new Error('Code: 252, e.displayText() = DB::Exception: Too many parts (300)') },
      'insert',
    );
    expect([old.code, old.serverCode]).toEqual(['UNAVAILABLE', 252]);
    const current = classifyFailure(
      {
        error: new Error(
          'Code: 60. DB::Exception: Table default.x does not exist. (UNKNOWN_TABLE)',
        ),
      },
      'query',
    );
    expect([current.code, current.serverCode]).toEqual(['REJECTED', 60]);
  });

  it('treats parse failures and unknown Enum elements as malformed rows', () => {
    expect(
      classifyFailure({ error: new Error('Code: 41. DB::Exception: Cannot read DateTime') }, 'x')
        .code,
    ).toBe('MALFORMED_ROWS');
    expect(
      classifyFailure(
        {
          error: new Error(
            "Code: 49, e.displayText() = DB::Exception: Unknown element 'created' for type Enum8('INSERT' = 1)",
          ),
        },
        'x',
      ).code,
    ).toBe('MALFORMED_ROWS');
    expect(
      classifyFailure({ error: new Error('Code: 49. DB::Exception: Logical error') }, 'x').code,
    ).toBe('REJECTED');
  });

  it('falls back to the HTTP status, then to socket errors', () => {
    expect(classifyFailure({ error: new Error('bad gateway'), httpStatus: 502 }, 'x').code).toBe(
      'UNAVAILABLE',
    );
    expect(classifyFailure({ error: new Error('forbidden'), httpStatus: 403 }, 'x').code).toBe(
      'REJECTED',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(classifyFailure({ error: refused }, 'x').code).toBe('UNAVAILABLE');
    expect(classifyFailure({ error: new Error('socket hang up') }, 'x').code).toBe('UNAVAILABLE');
  });
});
