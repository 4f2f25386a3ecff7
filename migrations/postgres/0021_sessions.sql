-- Web app sign-in sessions: the same schema as migrations/sqlite/0021_sessions.sql in Postgres types.
CREATE TABLE sessions (
    token_hash   TEXT        PRIMARY KEY,
    api_key_hash TEXT        NOT NULL REFERENCES api_keys (key_hash) ON DELETE CASCADE,
    csrf_token   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_api_key_hash ON sessions (api_key_hash);
