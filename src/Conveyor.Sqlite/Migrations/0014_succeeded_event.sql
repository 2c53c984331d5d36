-- Version 14: the Succeeded event of every success written by the completion's own UPDATE, as jobs_started (migration
-- 0012) writes the Started event of every claim: one statement per completion batch fewer, which looked every
-- completed job up again by id. A completion stamps its actor into worker_id (the worker that ran the attempt, in
-- practice the same), so the event names the completion's actor. A success's event carries no message.
CREATE TRIGGER jobs_succeeded AFTER UPDATE OF state ON jobs WHEN OLD.state = 2 AND NEW.state = 4
BEGIN
    INSERT INTO job_events (job_id, at, kind, attempt, actor, message)
    VALUES (NEW.id, NEW.finished_at, 4, NEW.attempt, NEW.worker_id, NULL);
END;
