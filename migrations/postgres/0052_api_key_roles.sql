-- Shlink's API key roles (none: an admin key), and the key each link was created with, so an
-- author-only key sees only its own links and apiKeyName can filter by author.
ALTER TABLE api_keys ADD COLUMN author_only BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE api_keys ADD COLUMN domain_only TEXT;
ALTER TABLE api_keys ADD COLUMN no_orphan_visits BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE short_urls ADD COLUMN author_key_id BIGINT REFERENCES api_keys (id);
CREATE INDEX short_urls_author_key_id ON short_urls (author_key_id);
