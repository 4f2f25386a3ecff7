-- The click pipeline: the same schema as migrations/sqlite/0010_click_pipeline.sql in Postgres types.

CREATE TABLE click_outbox (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    UUID        NOT NULL UNIQUE,
    payload       TEXT        NOT NULL,
    enqueued_at   TIMESTAMPTZ NOT NULL,
    available_at  TIMESTAMPTZ NOT NULL,
    lease_until   TIMESTAMPTZ,
    attempts      INTEGER     NOT NULL DEFAULT 0,
    last_error    TEXT
);

CREATE TABLE clicks (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      UUID        NOT NULL UNIQUE,
    short_url_id    BIGINT REFERENCES short_urls (id) ON DELETE CASCADE,
    kind            TEXT        NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    enriched_at     TIMESTAMPTZ NOT NULL,
    ip              TEXT,
    user_agent      TEXT,
    referer         TEXT,
    visited_url     TEXT,
    redirect_url    TEXT,
    potential_bot   BOOLEAN     NOT NULL,
    browser         TEXT,
    browser_version TEXT,
    os              TEXT,
    device          TEXT        NOT NULL,
    country_code    TEXT,
    country_name    TEXT,
    region_name     TEXT,
    city_name       TEXT,
    latitude        DOUBLE PRECISION,
    longitude       DOUBLE PRECISION,
    timezone        TEXT,
    traceparent     TEXT
);
CREATE INDEX clicks_link_time ON clicks (short_url_id, occurred_at);
CREATE INDEX clicks_kind_time ON clicks (kind, occurred_at);

CREATE TABLE dead_letters (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id   UUID        NOT NULL UNIQUE,
    payload      TEXT        NOT NULL,
    reason       TEXT        NOT NULL,
    last_error   TEXT        NOT NULL,
    attempts     INTEGER     NOT NULL,
    enqueued_at  TIMESTAMPTZ NOT NULL,
    failed_at    TIMESTAMPTZ NOT NULL
);
