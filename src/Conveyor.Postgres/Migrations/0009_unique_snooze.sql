-- Version 9: unique jobs by period (JobTypeOptions.UniqueFor). unique_key is the client's key of the declared payload
-- fields, null for jobs of types that are not unique. An insert with a key takes a transaction-scoped advisory lock on
-- (tenant, key), then looks for a job of its tenant and key created within the period: one range of jobs_unique,
-- newest first; jobs without a key have no entry. unique_key never changes after insert, so the index does not stop
-- HOT updates of the hot columns.
-- (Snoozes, in the same release, need no schema change.)
ALTER TABLE {schema}.jobs ADD COLUMN unique_key text;
CREATE INDEX jobs_unique ON {schema}.jobs (tenant, unique_key, created_at) WHERE unique_key IS NOT NULL;
