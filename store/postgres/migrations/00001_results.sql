-- +goose Up
CREATE TABLE results (
    job_id          TEXT PRIMARY KEY,
    plan            TEXT NOT NULL,
    scenario        TEXT NOT NULL,
    scenario_key    TEXT NOT NULL,
    protocol        TEXT NOT NULL,
    roles           JSONB NOT NULL,
    strategies      JSONB NOT NULL,
    repetition      INTEGER NOT NULL,
    seed            BIGINT NOT NULL,
    status          TEXT NOT NULL,
    agreement       JSONB,
    utilities       JSONB NOT NULL,
    welfare         DOUBLE PRECISION,
    pareto_distance DOUBLE PRECISION,
    nash_distance   DOUBLE PRECISION,
    rounds          INTEGER NOT NULL,
    steps           INTEGER NOT NULL,
    elapsed_ns      BIGINT NOT NULL,
    fault           TEXT NOT NULL DEFAULT '',
    fault_role      TEXT NOT NULL DEFAULT '',
    fault_strategy  TEXT NOT NULL DEFAULT '',
    trace           BYTEA,
    worker          TEXT NOT NULL DEFAULT '',
    stored_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX results_plan ON results (plan);

CREATE TABLE scenarios (
    key          TEXT PRIMARY KEY,
    id           TEXT NOT NULL,
    roles        JSONB NOT NULL,
    reservations JSONB NOT NULL,
    frontier     JSONB,
    nash         JSONB
);

-- +goose Down
DROP TABLE scenarios;
DROP TABLE results;
