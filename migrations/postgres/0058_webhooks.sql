-- Webhooks: the same schema as migrations/sqlite/0058_webhooks.sql in Postgres types.
CREATE TABLE webhooks (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              TEXT        NOT NULL UNIQUE,
    url               TEXT        NOT NULL,
    events            TEXT        NOT NULL,
    secret            TEXT        NOT NULL,
    previous_secret   TEXT,
    previous_until    TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    failing_since     TIMESTAMPTZ,
    disabled_at       TIMESTAMPTZ,
    disabled_reason   TEXT,
    delivered_total   BIGINT      NOT NULL DEFAULT 0,
    retried_total     BIGINT      NOT NULL DEFAULT 0,
    dead_total        BIGINT      NOT NULL DEFAULT 0
);

CREATE TABLE webhook_deliveries (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id    BIGINT      NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id    UUID        NOT NULL,
    event         TEXT        NOT NULL,
    link_id       BIGINT      REFERENCES short_urls (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    available_at  TIMESTAMPTZ NOT NULL,
    lease_until   TIMESTAMPTZ,
    attempts      INTEGER     NOT NULL DEFAULT 0,
    last_error    TEXT,
    dead_at       TIMESTAMPTZ,
    UNIQUE (webhook_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, available_at)
    WHERE dead_at IS NULL;
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (webhook_id, dead_at)
    WHERE dead_at IS NOT NULL;
