CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer VARCHAR(140) NOT NULL,
  total DECIMAL(12,2) NOT NULL DEFAULT 0
);
INSERT INTO orders (customer, total) VALUES ('acme', 10.00), ('globex', 25.50), ('acme', 4.25);
