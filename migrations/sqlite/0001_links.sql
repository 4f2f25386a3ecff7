-- Links, tags and API keys. Instants are Unix epoch milliseconds (INTEGER) so ranges compare numerically.
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    key_hash    TEXT    NOT NULL UNIQUE,
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);

CREATE TABLE short_urls (
    id            INTEGER PRIMARY KEY,
    short_code    TEXT    NOT NULL UNIQUE,
    long_url      TEXT    NOT NULL,
    title         TEXT,
    created_at    INTEGER NOT NULL,
    valid_since   INTEGER,
    valid_until   INTEGER,
    max_visits    INTEGER,
    crawlable     INTEGER NOT NULL DEFAULT 0,
    forward_query INTEGER NOT NULL DEFAULT 1,
    visits_total  INTEGER NOT NULL DEFAULT 0,
    visits_bots   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX short_urls_long_url ON short_urls (long_url);
CREATE INDEX short_urls_created_at ON short_urls (created_at);

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE short_url_tags (
    short_url_id INTEGER NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
    tag_id       INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (short_url_id, tag_id)
);
CREATE INDEX short_url_tags_tag ON short_url_tags (tag_id);
