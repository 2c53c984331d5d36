-- Version 3: the per-key index split by the question each part answers.
--
-- jobs_concurrency (concurrency_key, state, first_run_at, id) kept every keyed job for its whole life, finished ones
-- included, and every transition moved an entry inside its key's range: with many keys, a transaction that claims
-- 16 keyed jobs and completes the 16 before them dirties a page of it per key, and each page goes to the WAL. The claim
-- asks two things of a key: are any of its jobs active, and does any of its waiting jobs come first. Each now has
-- its own partial index, and a finished keyed job is in neither: a completion only removes one entry from the small
-- index of active jobs.
DROP INDEX jobs_concurrency;
-- Waiting jobs of a key in FIFO order (submission due time, then id).
CREATE INDEX jobs_key_waiting ON jobs (concurrency_key, first_run_at, id) WHERE state = 1 AND concurrency_key IS NOT NULL;
-- Running or awaiting jobs of a key: few at any time.
CREATE INDEX jobs_key_active ON jobs (concurrency_key) WHERE state IN (2, 3) AND concurrency_key IS NOT NULL;
