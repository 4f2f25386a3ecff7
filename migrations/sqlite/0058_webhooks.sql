-- Webhooks: each endpoint is a consumer with its own queue. A delivery row is made for every
-- endpoint that wants the event in the very transaction that stores the click, so none is lost
-- or made twice; workers claim due rows under a lease, and a row that used up its attempts stays
-- as that consumer's dead letter (dead_at, last_error) until it is replayed or purged.
CREATE TABLE webhooks (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL UNIQUE,
    url               TEXT    NOT NULL,
    events            TEXT    NOT NULL,
    secret            TEXT    NOT NULL,
    previous_secret   TEXT,
    previous_until    INTEGER,
    created_at        INTEGER NOT NULL,
    failing_since     INTEGER,
    disabled_at       INTEGER,
    disabled_reason   TEXT,
    delivered_total   INTEGER NOT NULL DEFAULT 0,
    retried_total     INTEGER NOT NULL DEFAULT 0,
    dead_total        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE webhook_deliveries (
    id            INTEGER PRIMARY KEY,
    webhook_id    INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id    BLOB    NOT NULL,
    event         TEXT    NOT NULL,
    link_id       INTEGER REFERENCES short_urls (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    available_at  INTEGER NOT NULL,
    lease_until   INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    dead_at       INTEGER,
    UNIQUE (webhook_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, available_at)
    WHERE dead_at IS NULL;
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (webhook_id, dead_at)
    WHERE dead_at IS NOT NULL;
