-- no-transaction
-- Several domains: `domain_redirects` becomes `domains` (one row per domain served, 'DEFAULT'
-- for the base URL's), and a short code is unique per domain rather than overall. SQLite cannot
-- drop a column's UNIQUE, so `short_urls` is rebuilt the documented way (foreign keys off, copy,
-- swap, indexes and trigger again, foreign keys checked) inside one transaction of its own.
PRAGMA foreign_keys = OFF;
BEGIN;

ALTER TABLE domain_redirects RENAME TO domains;
INSERT INTO domains (domain) VALUES ('DEFAULT') ON CONFLICT (domain) DO NOTHING;

CREATE TABLE short_urls_by_domain (
    id            INTEGER PRIMARY KEY,
    domain        TEXT    NOT NULL DEFAULT 'DEFAULT' REFERENCES domains (domain),
    short_code    TEXT    NOT NULL,
    long_url      TEXT    NOT NULL,
    title         TEXT,
    created_at    INTEGER NOT NULL,
    valid_since   INTEGER,
    valid_until   INTEGER,
    max_visits    INTEGER,
    crawlable     INTEGER NOT NULL DEFAULT 0,
    forward_query INTEGER NOT NULL DEFAULT 1,
    visits_total  INTEGER NOT NULL DEFAULT 0,
    visits_bots   INTEGER NOT NULL DEFAULT 0,
    public_stats  INTEGER NOT NULL DEFAULT 0,
    cap_used      INTEGER NOT NULL DEFAULT 0,
    author_key_id INTEGER REFERENCES api_keys (id),
    expired_url   TEXT,
    password_hash TEXT,
    destinations  TEXT,
    UNIQUE (domain, short_code)
);
INSERT INTO short_urls_by_domain (id, short_code, long_url, title, created_at, valid_since,
    valid_until, max_visits, crawlable, forward_query, visits_total, visits_bots, public_stats,
    cap_used, author_key_id, expired_url, password_hash, destinations)
SELECT id, short_code, long_url, title, created_at, valid_since, valid_until, max_visits,
    crawlable, forward_query, visits_total, visits_bots, public_stats, cap_used, author_key_id,
    expired_url, password_hash, destinations
FROM short_urls;
DROP TABLE short_urls;
PRAGMA legacy_alter_table = ON;
ALTER TABLE short_urls_by_domain RENAME TO short_urls;
PRAGMA legacy_alter_table = OFF;

CREATE INDEX short_urls_long_url ON short_urls (long_url);
CREATE INDEX short_urls_created_at ON short_urls (created_at);
CREATE INDEX short_urls_author_key_id ON short_urls (author_key_id);
CREATE TRIGGER short_urls_forget_rollups BEFORE DELETE ON short_urls
BEGIN
    UPDATE hourly_totals
    SET total = hourly_totals.total - l.total,
        bots = hourly_totals.bots - l.bots,
        uniques = hourly_totals.uniques - l.uniques
    FROM (SELECT hour, total, bots, uniques FROM link_hourly WHERE short_url_id = OLD.id) AS l
    WHERE hourly_totals.hour = l.hour;
    DELETE FROM visitor_days
    WHERE day IN (SELECT day FROM visitor_salts) AND short_url_id = OLD.id;
END;

COMMIT;
PRAGMA foreign_keys = ON;
