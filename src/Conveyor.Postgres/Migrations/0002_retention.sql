-- Conveyor's PostgreSQL schema, version 2: retention and leader election.

-- The purge's scan: finished jobs of one terminal state in finish order. Only finished jobs are in it, and the
-- purge reads one tight range per state (state = s AND finished_at < cut-off), so the jobs a purge skips (younger
-- ones, or those of a state kept longer) are never read. Built inside the migration's transaction (not
-- CONCURRENTLY), so on a large existing jobs table it blocks writes to the table while it builds.
CREATE INDEX jobs_finished ON {schema}.jobs (state, finished_at) WHERE state IN (4, 5, 6);

-- Named leaderships (retention): one row per name; the holder keeps it until expires_at unless it renews it.
CREATE TABLE {schema}.leaders (
    name       text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);
