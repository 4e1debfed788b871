/** Write tables and a FraiseQL `v_` view (`data` jsonb) with a tenant and a typed total column. */
export const SHOP_SQL = `
CREATE TABLE tb_customer (pk int PRIMARY KEY, id uuid NOT NULL, name text NOT NULL, email text NOT NULL);
CREATE TABLE tb_order (
  pk int PRIMARY KEY, id uuid NOT NULL, tenant_id text NOT NULL, fk_customer int NOT NULL REFERENCES tb_customer,
  status text NOT NULL, total numeric(12, 2) NOT NULL, big int8, ratio float8, paid bool,
  created_at timestamptz, placed_on date, cutoff time, shipping jsonb);
CREATE TABLE tb_order_item (fk_order int NOT NULL REFERENCES tb_order, n int NOT NULL, sku text NOT NULL, quantity int NOT NULL);
INSERT INTO tb_customer VALUES
  (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'Ada', 'ada@example.com'),
  (2, 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'Bob', 'bob@example.com');
INSERT INTO tb_order VALUES
  (1, '00000000-0000-0000-0000-000000000001', 't1', 1, 'paid', 120.50, 9007199254740993, 0.5, true,
   '2024-03-01 10:00:00.123456+00', '2024-03-01', '23:59:59.999999', '{"city": "Lyon", "zip": "69001"}'),
  (2, '00000000-0000-0000-0000-000000000002', 't1', 2, 'shipped', 80.00, -1, 1.25, false,
   '2024-03-02 00:00:00+00', '2024-03-02', '00:00:00', NULL),
  (3, '00000000-0000-0000-0000-000000000003', 't2', 2, 'paid', 310.00, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, '00000000-0000-0000-0000-000000000004', 't1', 1, 'it''s "odd"', 5.25, 4, -2.5, true,
   '1999-12-31 23:59:59+00', '1999-12-31', '12:00:00', '[1, 2]');
INSERT INTO tb_order_item VALUES (1, 1, 'A-1', 2), (1, 2, 'B-2', 1), (2, 1, 'C-3', 5);
CREATE VIEW v_order AS
SELECT o.id, o.tenant_id, o.total, jsonb_build_object(
  'id', o.id, 'status', o.status, 'total', o.total, 'big', o.big, 'ratio', o.ratio, 'paid', o.paid,
  'createdAt', o.created_at, 'placedOn', o.placed_on, 'cutoff', o.cutoff, 'shipping', o.shipping,
  'customer', jsonb_build_object('id', c.id, 'name', c.name, 'email', c.email),
  'items', coalesce((SELECT jsonb_agg(jsonb_build_object('sku', i.sku, 'quantity', i.quantity) ORDER BY i.n)
    FROM tb_order_item i WHERE i.fk_order = o.pk), '[]'::jsonb),
  'tags', to_jsonb(ARRAY[o.status, 'x']),
  'itemCount', (SELECT count(*) FROM tb_order_item i WHERE i.fk_order = o.pk)
) AS data
FROM tb_order o JOIN tb_customer c ON c.pk = o.fk_customer;
CREATE VIEW v_customer AS SELECT c.id, jsonb_build_object('id', c.id, 'name', c.name) AS data FROM tb_customer c;
CREATE TABLE tb_secret (id int, note text);
INSERT INTO tb_secret VALUES (1, 'top secret');`;

/** The FraiseQL schema JSON of {@link SHOP_SQL}. */
export const SHOP_SCHEMA = {
  version: '2.0',
  types: [
    {
      name: 'Order',
      fields: [
        { name: 'id', type: 'ID', nullable: false },
        { name: 'status', type: 'String', nullable: false },
        { name: 'total', type: 'Decimal', nullable: false },
        { name: 'big', type: 'BigInt' },
        { name: 'ratio', type: 'Float' },
        { name: 'paid', type: 'Boolean' },
        { name: 'createdAt', type: 'DateTime' },
        { name: 'placedOn', type: 'Date' },
        { name: 'cutoff', type: 'Time' },
        { name: 'shipping', type: 'JSON' },
        { name: 'customer', type: 'Customer', nullable: false },
        { name: 'items', type: '[OrderItem]', nullable: false },
        { name: 'tags', type: '[String]' },
        { name: 'itemCount', type: 'Int', nullable: false },
      ],
    },
    {
      name: 'Customer',
      fields: [
        { name: 'id', type: 'UUID', nullable: false },
        { name: 'name', type: 'String', nullable: false },
        { name: 'email', type: 'String', nullable: false },
      ],
    },
    {
      name: 'OrderItem',
      fields: [
        { name: 'sku', type: 'String', nullable: false },
        { name: 'quantity', type: 'Int', nullable: false },
      ],
    },
  ],
  queries: [
    { name: 'orders', return_type: 'Order', returns_list: true, sql_source: 'v_order' },
    { name: 'customers', return_type: 'Customer', returns_list: true, sql_source: 'v_customer' },
  ],
};
