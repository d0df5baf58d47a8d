ALTER TABLE orders ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'open';
UPDATE orders SET status = 'paid' WHERE total > 5;
