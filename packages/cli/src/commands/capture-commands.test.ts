import { describe, expect, it } from 'vitest';
import { entityTypeOf } from './capture-commands.js';

describe('entityTypeOf', () => {
  it('drops the schema and the tb_/t_ prefix and writes the rest in PascalCase', () => {
    expect(entityTypeOf('tb_order')).toBe('Order');
    expect(entityTypeOf('sales.tb_order_line')).toBe('OrderLine');
    expect(entityTypeOf('t_customer')).toBe('Customer');
    expect(entityTypeOf('invoice')).toBe('Invoice');
    expect(entityTypeOf('app.audit-entry')).toBe('AuditEntry');
  });
});
