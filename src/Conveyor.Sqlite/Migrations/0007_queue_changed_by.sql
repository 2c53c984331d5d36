-- Version 7: who paused or resumed a queue last (with updated_at, when). A pause belongs to no job, so no job history
-- can record it; the queue row does, and the queue listing shows it while the queue is paused.
ALTER TABLE queues ADD COLUMN changed_by TEXT;
