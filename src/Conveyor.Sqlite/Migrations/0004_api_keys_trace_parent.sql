-- Version 4: the submission's trace context on each job, an index of jobs awaiting input per queue (queue counts), and API keys.

-- The W3C traceparent of the submission (null when none): stored on insert, returned by the claim.
ALTER TABLE jobs ADD COLUMN trace_parent TEXT;

-- Jobs awaiting input per queue, for the queue counts. No transition of the claim or a completion touches state 3,
-- so the hot path never writes to it.
CREATE INDEX jobs_awaiting ON jobs (queue) WHERE state = 3;

-- API keys: the secret is never stored, only its SHA-256 hash. Times are microseconds since the Unix epoch, UTC.
-- tenant is null for the default tenant; roles is a JSON array of text.
CREATE TABLE api_keys (
    id          TEXT    PRIMARY KEY,
    secret_hash TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    tenant      TEXT,
    roles       TEXT    NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    created_by  TEXT,
    revoked_at  INTEGER
);
