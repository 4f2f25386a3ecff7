-- The click pipeline: outbox (pending events), clicks (enriched, idempotent by message id), dead letters.
-- Instants are Unix epoch milliseconds.

-- Events accepted from the redirect path, waiting for a worker. A row is claimable when
-- available_at has passed and it holds no live lease; attempts fences stale workers.
CREATE TABLE click_outbox (
    id            INTEGER PRIMARY KEY,
    message_id    BLOB    NOT NULL UNIQUE,
    payload       TEXT    NOT NULL,
    enqueued_at   INTEGER NOT NULL,
    available_at  INTEGER NOT NULL,
    lease_until   INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT
);

-- One row per distinct click; message_id makes redelivery and replay harmless.
CREATE TABLE clicks (
    id              INTEGER PRIMARY KEY,
    message_id      BLOB    NOT NULL UNIQUE,
    short_url_id    INTEGER REFERENCES short_urls (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    occurred_at     INTEGER NOT NULL,
    enriched_at     INTEGER NOT NULL,
    ip              TEXT,
    user_agent      TEXT,
    referer         TEXT,
    visited_url     TEXT,
    redirect_url    TEXT,
    potential_bot   INTEGER NOT NULL,
    browser         TEXT,
    browser_version TEXT,
    os              TEXT,
    device          TEXT    NOT NULL,
    country_code    TEXT,
    country_name    TEXT,
    region_name     TEXT,
    city_name       TEXT,
    latitude        REAL,
    longitude       REAL,
    timezone        TEXT,
    traceparent     TEXT
);
CREATE INDEX clicks_link_time ON clicks (short_url_id, occurred_at);
CREATE INDEX clicks_kind_time ON clicks (kind, occurred_at);

-- Events that failed for good, with why; `linkpulse dlq replay` puts them back in the outbox.
CREATE TABLE dead_letters (
    id           INTEGER PRIMARY KEY,
    message_id   BLOB    NOT NULL UNIQUE,
    payload      TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    last_error   TEXT    NOT NULL,
    attempts     INTEGER NOT NULL,
    enqueued_at  INTEGER NOT NULL,
    failed_at    INTEGER NOT NULL
);
