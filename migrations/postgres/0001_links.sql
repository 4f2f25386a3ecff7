-- Links, tags and API keys: the same schema as migrations/sqlite/0001_links.sql in Postgres types.
CREATE TABLE api_keys (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT        NOT NULL UNIQUE,
    key_hash    TEXT        NOT NULL UNIQUE,
    enabled     BOOLEAN     NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE short_urls (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    short_code    TEXT        NOT NULL UNIQUE,
    long_url      TEXT        NOT NULL,
    title         TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    valid_since   TIMESTAMPTZ,
    valid_until   TIMESTAMPTZ,
    max_visits    BIGINT,
    crawlable     BOOLEAN     NOT NULL DEFAULT FALSE,
    forward_query BOOLEAN     NOT NULL DEFAULT TRUE,
    visits_total  BIGINT      NOT NULL DEFAULT 0,
    visits_bots   BIGINT      NOT NULL DEFAULT 0
);
CREATE INDEX short_urls_long_url ON short_urls (long_url);
CREATE INDEX short_urls_created_at ON short_urls (created_at);

CREATE TABLE tags (
    id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE short_url_tags (
    short_url_id BIGINT NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
    tag_id       BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (short_url_id, tag_id)
);
CREATE INDEX short_url_tags_tag ON short_url_tags (tag_id);
