-- Web app sign-in sessions. Only the SHA-256 of the cookie token is stored; a session lives while
-- it is unexpired and the API key it was opened with stays enabled. Instants are epoch milliseconds.
CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    api_key_hash TEXT    NOT NULL REFERENCES api_keys (key_hash) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_api_key_hash ON sessions (api_key_hash);
