-- Version 2: retention and leader election.

-- The purge's scan: finished jobs of one terminal state in finish order. Only finished jobs are in it, and the
-- purge reads one tight range per state (state = s AND finished_at < cut-off), so the jobs a purge skips (younger
-- ones, or those of a state kept longer) are never read.
CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE state IN (4, 5, 6);

-- Named leaderships (retention): one row per name; the holder keeps it until expires_at (microseconds since the
-- Unix epoch, UTC) unless it renews it.
CREATE TABLE leaders (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
