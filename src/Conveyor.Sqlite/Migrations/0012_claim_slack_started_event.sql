-- Version 12: a claim that rewrites its rows in place, and its Started events written by the claim statement itself.
--
-- slack: room a waiting job's row keeps for what its claim stamps in (started_at, lease_expires_at, the worker id,
-- some 40 to 60 bytes). Inserts fill the table's pages to the brim, so a claim that grew its rows split the page
-- holding them, and a split rewrites the page's siblings and parent too: of the ~16 pages a claim transaction of 16
-- jobs (with the completions of the 16 before) appended to the WAL, ~4.9 were the jobs table's. With the room
-- reserved at insert and given back by the claim (slack = NULL), the rows are rewritten in place: ~2.2 pages
-- (bench/README.md). The same idea as a fill factor, per row, and only while the job waits.
ALTER TABLE jobs ADD COLUMN slack BLOB;

-- The Started event of every claim (both claim statements set state 2 from 1; nothing else does): one row per claimed
-- job, written by the UPDATE that claims it, from the values it just stamped, instead of a second statement that
-- looks every claimed job up again by id.
CREATE TRIGGER jobs_started AFTER UPDATE OF state ON jobs WHEN OLD.state = 1 AND NEW.state = 2
BEGIN
    INSERT INTO job_events (job_id, at, kind, attempt, actor, message)
    VALUES (NEW.id, NEW.started_at, 1, NEW.attempt, NEW.worker_id, NULL);
END;
