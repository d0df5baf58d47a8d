ALTER TABLE accounts DROP INDEX accounts_email;
