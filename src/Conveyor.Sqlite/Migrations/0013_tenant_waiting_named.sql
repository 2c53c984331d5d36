-- Version 13: jobs_tenant_waiting holds the waiting jobs of named tenants only.
--
-- Most jobs carry the default tenant (''), and each of them cost an entry in this index, written at insert and removed
-- by its claim: one B-tree change of the ~11 a plain job's claim and completion make (~5% of a claim transaction,
-- bench/README.md). The default tenant's count for its bound (TenantWaitingCount) is now every waiting job (jobs_claim)
-- less the named tenants' (this index): the same order of work as its own range was, as most waiting jobs are its.
DROP INDEX jobs_tenant_waiting;
CREATE INDEX jobs_tenant_waiting ON jobs (tenant) WHERE state = 1 AND tenant <> '';
