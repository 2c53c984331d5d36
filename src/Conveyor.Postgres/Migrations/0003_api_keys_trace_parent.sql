-- Conveyor's PostgreSQL schema, version 3: the submission's trace context on each job, an index of jobs awaiting
-- input per queue (queue counts), and API keys.

-- The W3C traceparent of the submission (null when none): stored on insert, returned by the claim. A nullable column
-- without a default: adding it rewrites nothing.
ALTER TABLE {schema}.jobs ADD COLUMN trace_parent text;

-- Jobs awaiting input per queue, for the queue counts. The claim and the completions never produce state 3, so the
-- hot path never inserts into it (and state is already an indexed column, so HOT updates are not affected).
CREATE INDEX jobs_awaiting ON {schema}.jobs (queue) WHERE state = 3;

-- API keys: the secret is never stored, only its SHA-256 hash. tenant is null for the default tenant.
CREATE TABLE {schema}.api_keys (
    id          text        PRIMARY KEY,
    secret_hash text        NOT NULL,
    name        text        NOT NULL,
    user_id     text        NOT NULL,
    tenant      text,
    roles       text[]      NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    created_by  text,
    revoked_at  timestamptz
);
