import { describe, expect, it } from 'vitest';
import { parseObserversConfig } from './load-observers-config.js';

describe('async flag', () => {
  it('is accepted on observers and actions, and refused when not a boolean', () => {
    const text = JSON.stringify({
      observers: {
        slow: {
          entity: 'Order',
          events: ['INSERT'],
          async: true,
          actions: [{ type: 'function', name: 'f', async: true }],
        },
      },
    });
    const config = parseObserversConfig(text, { format: 'json' });
    expect(config.observers.slow?.async).toBe(true);
    expect(config.observers.slow?.actions[0]).toMatchObject({ async: true });
    expect(() =>
      parseObserversConfig(text.replace('"async":true,"actions"', '"async":"yes","actions"'), {
        format: 'json',
      }),
    ).toThrow(/observers\.slow\.async/);
  });
});
