-- +goose Up
-- +goose StatementBegin
ALTER TABLE orders ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'open';
-- +goose StatementEnd
UPDATE orders SET status = 'paid' WHERE total > 5;

-- +goose Down
ALTER TABLE orders DROP COLUMN status;
