-- Version 11: jobs_limit_waiting in claim order. Keyed by (limit_name, limit_key), a claim of 16 jobs of 16 different
-- keys (at most 2 running per tenant, 1,000 tenants) removed 16 entries from as many leaf pages, each written to the
-- WAL at commit; in id order the claimed jobs' entries sit together. The listing's per-key count reads the limit's
-- whole range either way (SQLite counts a range by walking it), now grouping it by key with a temporary b-tree.
DROP INDEX jobs_limit_waiting;
CREATE INDEX jobs_limit_waiting ON jobs (limit_name, id, limit_key) WHERE state = 1 AND limit_key IS NOT NULL;
