-- Version 9: cluster-wide throttles (limits). A job governed by a limit carries the limit's name and its key (the
-- name, or the name, ':' and the partition value); the numbers stay in code and reach the claim with every call.
-- limit_starts records each admitted start of a rate-limited key, so the claim can count a sliding window exactly.
ALTER TABLE jobs ADD COLUMN limit_name TEXT;
ALTER TABLE jobs ADD COLUMN limit_key TEXT;
-- The claim counts a key's running jobs; the listing counts its waiting ones. Both stay small: only limited jobs.
CREATE INDEX jobs_limit_running ON jobs (limit_key) WHERE state = 2 AND limit_key IS NOT NULL;
CREATE INDEX jobs_limit_waiting ON jobs (limit_name, limit_key) WHERE state = 1 AND limit_key IS NOT NULL;
CREATE TABLE limit_starts (
    limit_key  TEXT    NOT NULL,
    started_at INTEGER NOT NULL
);
CREATE INDEX limit_starts_key ON limit_starts (limit_key, started_at);
