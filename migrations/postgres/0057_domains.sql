-- Several domains: `domain_redirects` becomes `domains` (one row per domain served, 'DEFAULT'
-- for the base URL's), and a short code is unique per domain rather than overall.
ALTER TABLE domain_redirects RENAME TO domains;
INSERT INTO domains (domain) VALUES ('DEFAULT') ON CONFLICT (domain) DO NOTHING;
ALTER TABLE short_urls
    ADD COLUMN domain TEXT NOT NULL DEFAULT 'DEFAULT' REFERENCES domains (domain);
ALTER TABLE short_urls DROP CONSTRAINT short_urls_short_code_key;
ALTER TABLE short_urls ADD CONSTRAINT short_urls_domain_short_code UNIQUE (domain, short_code);
