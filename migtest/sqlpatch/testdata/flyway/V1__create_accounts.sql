-- Flyway: the accounts table
CREATE TABLE accounts (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(190) NOT NULL,
  note VARCHAR(100) DEFAULT 'it''s; not a split'
);
INSERT INTO accounts (email) VALUES ('a@example.com'), ('b@example.com');
