-- Version 6: who paused or resumed a queue last (with updated_at, when). A pause belongs to no job, so no job history
-- can record it; the queue row does, and the queue listing shows it while the queue is paused.
ALTER TABLE {schema}.queues ADD COLUMN changed_by text;
