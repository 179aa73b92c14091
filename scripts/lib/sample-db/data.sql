-- Deterministic data from generate_series (fast: no client round trips). :scale multiplies every table;
-- scale 1 is ~300k rows. Prices and totals are functions of ids, so invoices.total_cents equals the sum of
-- its lines without an UPDATE pass.
INSERT INTO customers (email, name, country, created_at)
SELECT format('customer%s@example.com', g), format('Customer %s', g),
       (ARRAY['CH','DE','IN','US','FR','GB'])[1 + g % 6],
       timestamptz '2024-01-01' + make_interval(mins => g * 7)
FROM generate_series(1, 10000 * :scale) g;

INSERT INTO products (sku, name, price_cents)
SELECT format('SKU-%s', lpad(g::text, 6, '0')), format('Product %s', g), 100 + (g * 37) % 9900
FROM generate_series(1, 1000) g;

INSERT INTO invoices (customer_id, issued_at, status, total_cents)
SELECT 1 + (g * 13) % (10000 * :scale),
       timestamptz '2024-02-01' + make_interval(mins => g * 3),
       (ARRAY['draft','open','paid','paid','paid','void'])[1 + g % 6]::invoice_status,
       (SELECT sum((1 + (g + n) % 5) * (100 + ((1 + (g * 7 + n) % 1000) * 37) % 9900))
          FROM generate_series(1, 3) n)
FROM generate_series(1, 60000 * :scale) g;

INSERT INTO invoice_lines (invoice_id, product_id, quantity, unit_price_cents)
SELECT g, 1 + (g * 7 + n) % 1000, 1 + (g + n) % 5, 100 + ((1 + (g * 7 + n) % 1000) * 37) % 9900
FROM generate_series(1, 60000 * :scale) g, generate_series(1, 3) n;

INSERT INTO payments (invoice_id, paid_at, amount_cents, method)
SELECT i.id, i.issued_at + interval '9 days', i.total_cents, (ARRAY['card','sepa','upi','wire'])[1 + i.id % 4]
FROM invoices i WHERE i.status = 'paid';

ANALYZE;
