-- A password-protected link keeps the Argon2id PHC string of its password; NULL means none.
ALTER TABLE short_urls ADD COLUMN password_hash TEXT;
