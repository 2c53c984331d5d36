-- Conveyor's PostgreSQL schema, version 1. {schema} is the quoted schema, {schema_name} its bare name.
-- Jobs: one row per job for its whole life. Instants are timestamptz (microseconds, UTC).
-- state: 1 pending (scheduled while run_at is in the future), 2 running, 3 awaiting_input,
--        4 succeeded, 5 failed (dead-lettered), 6 cancelled.
CREATE SEQUENCE {schema}.jobs_id_seq;

CREATE TABLE {schema}.jobs (
    id                bigint      PRIMARY KEY DEFAULT nextval('{schema}.jobs_id_seq'),
    kind              text        NOT NULL,
    queue             text        NOT NULL,
    state             smallint    NOT NULL,
    priority          smallint    NOT NULL,
    -- JSON text, kept character for character: idempotent replays compare it as text.
    payload           text        NOT NULL,
    run_at            timestamptz NOT NULL,
    -- The due time given at submission; orders jobs within a concurrency key and never changes on retry.
    first_run_at      timestamptz NOT NULL,
    attempt           integer     NOT NULL DEFAULT 0,
    max_attempts      integer     NOT NULL,
    concurrency_key   text,
    concurrency_limit integer     NOT NULL DEFAULT 1,
    -- '' is the default tenant, so that the unique idempotency index also covers it.
    tenant            text        NOT NULL DEFAULT '',
    idempotency_key   text,
    user_id           text,
    roles             text[]      NOT NULL DEFAULT '{}',
    tags              text[]      NOT NULL DEFAULT '{}',
    lease_token       bigint      NOT NULL DEFAULT 0,
    lease_expires_at  timestamptz,
    worker_id         text,
    cancel_requested  boolean     NOT NULL DEFAULT false,
    progress_percent  double precision,
    progress_phase    text,
    progress_message  text,
    result            text,
    artifacts         text,
    last_error        text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    started_at        timestamptz,
    finished_at       timestamptz
) WITH (
    -- Every claim and completion leaves a dead row version behind, and dead entries at the head of the claim
    -- index slow every claim until vacuum removes them: vacuum this table after 1% of it changed (the default
    -- waits for 20%), analyze after 2%, and do not throttle its vacuum. Progress updates touch no indexed
    -- column and can stay on their page (HOT) thanks to the free space fillfactor leaves.
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 200,
    autovacuum_analyze_scale_factor = 0.02,
    autovacuum_analyze_threshold = 200,
    autovacuum_vacuum_cost_delay = 0,
    fillfactor = 90
);
ALTER SEQUENCE {schema}.jobs_id_seq OWNED BY {schema}.jobs.id;

-- The claim reads exactly this: waiting jobs of one queue in priority, due time and id order. Only waiting jobs
-- are in it, so finished jobs, however many, never slow a claim.
CREATE INDEX jobs_claim ON {schema}.jobs (queue, priority, run_at, id) WHERE state = 1;
-- Per-key FIFO: the waiting jobs of a key in key order, and the active jobs of a key.
CREATE INDEX jobs_key_waiting ON {schema}.jobs (concurrency_key, first_run_at, id) WHERE state = 1 AND concurrency_key IS NOT NULL;
CREATE INDEX jobs_key_active ON {schema}.jobs (concurrency_key) WHERE state IN (2, 3) AND concurrency_key IS NOT NULL;
-- The reaper's scan of expired leases.
CREATE INDEX jobs_lease ON {schema}.jobs (lease_expires_at) WHERE state = 2;
-- The dead-letter queue.
CREATE INDEX jobs_failed ON {schema}.jobs (queue, id) WHERE state = 5;
CREATE UNIQUE INDEX jobs_idempotency ON {schema}.jobs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- History: appended in the same statement as the change it records.
CREATE TABLE {schema}.job_events (
    id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id  bigint      NOT NULL,
    at      timestamptz NOT NULL,
    kind    smallint    NOT NULL,
    attempt integer     NOT NULL,
    actor   text,
    message text
);
CREATE INDEX job_events_job ON {schema}.job_events (job_id, id);

CREATE TABLE {schema}.queues (
    name       text        PRIMARY KEY,
    paused     boolean     NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL
);

-- The concurrency-key rule, checked for a candidate of a claim that the claim's own snapshot already admits.
-- It first takes the key's transaction lock, without waiting (another claim that holds it is deciding about the
-- same key: skip the key for now). Being VOLATILE, it then counts with a fresh snapshot, so it sees every claim of
-- the key committed before the lock was taken: claims of one key are serialised, each sees the one before it, and
-- a job inserted ahead of a running claim (an explicit past run_at, a requeue) cannot slip past the limit.
CREATE FUNCTION {schema}.concurrency_key_admits(p_key text, p_first_run_at timestamptz, p_id bigint, p_limit integer)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtextextended('conveyor:{schema_name}:key:' || p_key, 0)) THEN
        RETURN false;
    END IF;
    RETURN (SELECT count(*) FROM {schema}.jobs WHERE concurrency_key = p_key AND state IN (2, 3))
         + (SELECT count(*) FROM (SELECT 1 FROM {schema}.jobs
                                  WHERE concurrency_key = p_key AND state = 1 AND (first_run_at, id) < (p_first_run_at, p_id)
                                  LIMIT p_limit) AS ahead)
         < p_limit;
END
$fn$;
