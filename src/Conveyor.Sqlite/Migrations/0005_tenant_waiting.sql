-- Version 5: the waiting jobs of each tenant, for the per-tenant bound (ConveyorOptions.MaxWaitingPerTenant). The bound
-- counts a tenant's waiting jobs in every queue inside each bounded insert; no earlier index serves that count (the
-- scan of jobs_claim it would otherwise take reads every waiting job). Partial, like jobs_claim: a claim removes the
-- entry and a finished job has none.
CREATE INDEX jobs_tenant_waiting ON jobs (tenant) WHERE state = 1;
