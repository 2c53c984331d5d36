-- Jobs: one row per job for its whole life. Times are microseconds since the Unix epoch, UTC.
-- state: 1 pending (scheduled while run_at is in the future), 2 running, 3 awaiting_input,
--        4 succeeded, 5 failed (dead-lettered), 6 cancelled.
CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT    NOT NULL,
    queue             TEXT    NOT NULL,
    state             INTEGER NOT NULL,
    priority          INTEGER NOT NULL,
    payload           TEXT    NOT NULL,
    run_at            INTEGER NOT NULL,
    -- The due time given at submission; orders jobs within a concurrency key and never changes on retry.
    first_run_at      INTEGER NOT NULL,
    attempt           INTEGER NOT NULL DEFAULT 0,
    max_attempts      INTEGER NOT NULL,
    concurrency_key   TEXT,
    concurrency_limit INTEGER NOT NULL DEFAULT 1,
    -- '' is the default tenant, so that the unique idempotency index also covers it.
    tenant            TEXT    NOT NULL DEFAULT '',
    idempotency_key   TEXT,
    user_id           TEXT,
    roles             TEXT    NOT NULL DEFAULT '[]',
    tags              TEXT    NOT NULL DEFAULT '[]',
    lease_token       INTEGER NOT NULL DEFAULT 0,
    lease_expires_at  INTEGER,
    worker_id         TEXT,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    progress_percent  REAL,
    progress_phase    TEXT,
    progress_message  TEXT,
    result            TEXT,
    artifacts         TEXT,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    started_at        INTEGER,
    finished_at       INTEGER
);

-- The claim reads exactly this: waiting jobs of a queue in priority, then due-time order.
CREATE INDEX jobs_claim ON jobs (queue, priority, run_at, id) WHERE state = 1;
-- Per-key FIFO and the active count per key.
CREATE INDEX jobs_concurrency ON jobs (concurrency_key, state, first_run_at, id) WHERE concurrency_key IS NOT NULL;
-- The reaper's scan of expired leases.
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 2;
-- The dead-letter queue.
CREATE INDEX jobs_failed ON jobs (queue, id) WHERE state = 5;
CREATE UNIQUE INDEX jobs_idempotency ON jobs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- History: appended in the same transaction as the change it records.
CREATE TABLE job_events (
    id      INTEGER PRIMARY KEY,
    job_id  INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    kind    INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    actor   TEXT,
    message TEXT
);
CREATE INDEX job_events_job ON job_events (job_id, id);

CREATE TABLE queues (
    name       TEXT PRIMARY KEY,
    paused     INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
