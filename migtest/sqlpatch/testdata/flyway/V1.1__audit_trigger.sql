CREATE TABLE account_audit (account_id INT NOT NULL, changed_at DATETIME(6) NOT NULL);

DELIMITER $$
CREATE TRIGGER accounts_audit AFTER UPDATE ON accounts
FOR EACH ROW
BEGIN
  INSERT INTO account_audit VALUES (NEW.id, NOW(6));
END$$
DELIMITER ;

UPDATE accounts SET email = LOWER(email);
