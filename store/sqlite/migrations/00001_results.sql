-- +goose Up
CREATE TABLE results (
    job_id          TEXT PRIMARY KEY,
    plan            TEXT NOT NULL,
    scenario        TEXT NOT NULL,
    scenario_key    TEXT NOT NULL,
    protocol        TEXT NOT NULL,
    roles           TEXT NOT NULL,
    strategies      TEXT NOT NULL,
    repetition      INTEGER NOT NULL,
    seed            INTEGER NOT NULL,
    status          TEXT NOT NULL,
    agreement       TEXT,
    utilities       TEXT NOT NULL,
    welfare         REAL,
    pareto_distance REAL,
    nash_distance   REAL,
    rounds          INTEGER NOT NULL,
    steps           INTEGER NOT NULL,
    elapsed_ns      INTEGER NOT NULL,
    fault           TEXT NOT NULL DEFAULT '',
    fault_role      TEXT NOT NULL DEFAULT '',
    fault_strategy  TEXT NOT NULL DEFAULT '',
    trace           BLOB,
    worker          TEXT NOT NULL DEFAULT '',
    stored_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX results_plan ON results (plan);

CREATE TABLE scenarios (
    key          TEXT PRIMARY KEY,
    id           TEXT NOT NULL,
    roles        TEXT NOT NULL,
    reservations TEXT NOT NULL,
    frontier     TEXT,
    nash         TEXT
);

-- +goose Down
DROP TABLE scenarios;
DROP TABLE results;
