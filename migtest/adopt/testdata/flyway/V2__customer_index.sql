CREATE INDEX orders_customer ON orders (customer);
ALTER TABLE orders ADD COLUMN note VARCHAR(200) NULL;
