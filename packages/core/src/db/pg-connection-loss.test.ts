import { describe, expect, it } from 'vitest';
import { isConnectionLoss } from './pg-connection-loss.js';

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('isConnectionLoss', () => {
  it('recognises lost, refused and shut-down connections', () => {
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isConnectionLoss(new Error('Client has encountered a connection error and is not queryable')),
    ).toBe(true);
    expect(isConnectionLoss(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe(
      true,
    );
    expect(
      isConnectionLoss(pgError('57P01', 'terminating connection due to administrator command')),
    ).toBe(true);
    expect(isConnectionLoss(pgError('57P03', 'the database system is starting up'))).toBe(true);
    expect(isConnectionLoss(pgError('08006', 'connection failure'))).toBe(true);
  });

  it('leaves statement errors alone', () => {
    expect(isConnectionLoss(pgError('42P01', 'relation "nope" does not exist'))).toBe(false);
    expect(isConnectionLoss(pgError('23505', 'duplicate key value'))).toBe(false);
    expect(isConnectionLoss(pgError('57014', 'canceling statement due to statement timeout'))).toBe(
      false,
    );
    expect(isConnectionLoss('Connection terminated')).toBe(false);
    expect(isConnectionLoss(undefined)).toBe(false);
  });
});
