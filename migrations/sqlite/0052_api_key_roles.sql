-- Shlink's API key roles (none: an admin key), and the key each link was created with, so an
-- author-only key sees only its own links and apiKeyName can filter by author.
ALTER TABLE api_keys ADD COLUMN author_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN domain_only TEXT;
ALTER TABLE api_keys ADD COLUMN no_orphan_visits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE short_urls ADD COLUMN author_key_id INTEGER REFERENCES api_keys (id);
CREATE INDEX short_urls_author_key_id ON short_urls (author_key_id);
