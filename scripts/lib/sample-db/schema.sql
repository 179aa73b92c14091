-- Sample "shop" database for `make demo` and the drill tests: related tables, foreign keys, checks,
-- indexes, an extension (citext) — enough shape that a restore which loses any of it shows.
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TYPE invoice_status AS ENUM ('draft', 'open', 'paid', 'void');

CREATE TABLE customers (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email       citext NOT NULL UNIQUE,
  name        text   NOT NULL,
  country     char(2) NOT NULL,
  created_at  timestamptz NOT NULL
);

CREATE TABLE products (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sku         text NOT NULL UNIQUE,
  name        text NOT NULL,
  price_cents integer NOT NULL CHECK (price_cents > 0)
);

CREATE TABLE invoices (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (id),
  issued_at   timestamptz NOT NULL,
  status      invoice_status NOT NULL,
  total_cents bigint NOT NULL
);
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
CREATE INDEX invoices_issued_idx ON invoices (issued_at);

CREATE TABLE invoice_lines (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  invoice_id       bigint  NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
  product_id       bigint  NOT NULL REFERENCES products (id),
  quantity         integer NOT NULL CHECK (quantity > 0),
  unit_price_cents integer NOT NULL
);
CREATE INDEX invoice_lines_invoice_idx ON invoice_lines (invoice_id);
CREATE INDEX invoice_lines_product_idx ON invoice_lines (product_id);

CREATE TABLE payments (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  invoice_id   bigint NOT NULL REFERENCES invoices (id),
  paid_at      timestamptz NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  method       text NOT NULL
);
CREATE INDEX payments_invoice_idx ON payments (invoice_id);
