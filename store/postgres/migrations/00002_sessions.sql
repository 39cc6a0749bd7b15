-- +goose Up
CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    source     TEXT NOT NULL,
    doc        BYTEA NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    status     TEXT NOT NULL,
    result     TEXT
);
CREATE INDEX sessions_running ON sessions (status);

CREATE TABLE session_tokens (
    hash       TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    role       TEXT NOT NULL
);

CREATE TABLE session_moves (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    step       INTEGER NOT NULL,
    party      INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    offer      TEXT,
    t          DOUBLE PRECISION NOT NULL,
    at_ms      BIGINT NOT NULL,
    note       TEXT NOT NULL,
    PRIMARY KEY (session_id, step)
);

CREATE TABLE session_events (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    seq        INTEGER NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);

-- +goose Down
DROP TABLE session_events;
DROP TABLE session_moves;
DROP TABLE session_tokens;
DROP TABLE sessions;
DROP TABLE uploads;
