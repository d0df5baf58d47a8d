ALTER TABLE accounts ADD UNIQUE INDEX accounts_email (email);
