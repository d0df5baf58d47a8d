-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX orders_customer ON orders (customer);
ALTER TABLE orders ADD COLUMN note VARCHAR(200) NULL;

-- +goose Down
DROP INDEX orders_customer ON orders;
ALTER TABLE orders DROP COLUMN note;
