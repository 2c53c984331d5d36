-- Version 10: unique jobs by period (JobTypeOptions.UniqueFor). unique_key is the client's key of the declared payload
-- fields, null for jobs of types that are not unique. An insert with a key looks for a job of its tenant and key created
-- within the period: one range of jobs_unique, newest first; jobs without a key have no entry.
-- (Snoozes, in the same release, need no schema change.)
ALTER TABLE jobs ADD COLUMN unique_key TEXT;
CREATE INDEX jobs_unique ON jobs (tenant, unique_key, created_at) WHERE unique_key IS NOT NULL;
