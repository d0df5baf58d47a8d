DROP INDEX orders_customer ON orders;
ALTER TABLE orders DROP COLUMN note;
