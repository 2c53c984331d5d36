-- Named queries of the PostgreSQL store. Each block starts with "-- name: <Name>" and runs as one statement.
-- {schema} is the quoted schema, {schema_name} its bare name, {now} the store's clock, one instant per statement:
-- coalesce(@now, clock_timestamp()) read once as the statement executes (SqlText.WithClock), where @now is null in
-- production (the database's clock, the same for every node) and a test clock's time in tests.
-- Every transition writes its history event in the same statement. Statements that make jobs claimable send one
-- NOTIFY per queue on @channel ("<origin> r <ready-at µs since the epoch> <queue>"), and a cancellation of a
-- running job sends "<origin> c <job id>", a change of a schedule "<origin> s"; PostgreSQL delivers them only if the
-- transaction commits.
-- Plans: the store prepares its statements, so PostgreSQL may run a statement with a generic plan, made once and
-- kept, possibly while the table was empty or its statistics said so. The pool's sessions run with
-- enable_seqscan = off (PostgresJobStore.CreateDataSource), so no plan reads the whole table where an index path
-- exists; and a state test that fences rows already found by id is written state::integer = N, not state = N:
-- the cast keeps the partial index whose predicate is state = N out of reach (the planner can no longer prove the
-- predicate), so such rows are found by primary key, never by reading every entry of jobs_lease, jobs_failed or
-- jobs_finished. Tests: PostgresPreparedPlanTests.

-- name: QueuesLock
-- Serialises inserts into the bounded queues of a batch (@queues sorted, so two batches never wait on each other
-- in opposite orders); the count that follows, a new statement, sees every insert committed before the lock.
SELECT count(pg_advisory_xact_lock(hashtextextended('conveyor:{schema_name}:queue:' || q, 0)))
FROM unnest(@queues::text[]) AS q;

-- name: QueuesWaitingCount
SELECT q, (SELECT count(*) FROM {schema}.jobs WHERE queue = q AND state = 1)
FROM unnest(@queues::text[]) AS q;

-- name: TenantsLock
-- Serialises inserts of the bounded tenants of a batch (@tenants sorted; taken after QueuesLock, so two batches never
-- wait on each other in opposite orders); the count that follows sees every insert committed before the lock.
SELECT count(pg_advisory_xact_lock(hashtextextended('conveyor:{schema_name}:tenant:' || t, 0)))
FROM unnest(@tenants::text[]) AS t;

-- name: TenantsWaitingCount
-- One range of jobs_tenant_waiting per tenant: its waiting jobs in every queue, no other job read (tenant = t implies
-- the index predicate's tenant IS NOT NULL).
SELECT t, (SELECT count(*) FROM {schema}.jobs WHERE tenant = t AND state = 1)
FROM unnest(@tenants::text[]) AS t;

-- name: UniqueKeysLock
-- Serialises inserts of one (tenant, unique key) (@tenants/@keys sorted by tenant then key; taken after QueuesLock and
-- TenantsLock, so two batches never wait on each other in opposite orders); the lookup that follows, a new statement,
-- sees every insert of the key committed before the lock. Two keys sharing a hash only wait for each other.
SELECT count(pg_advisory_xact_lock(hashtextextended('conveyor:{schema_name}:unique:' || t || ':' || k, 0)))
FROM unnest(@tenants::text[], @keys::text[]) AS u(t, k);

-- name: UniqueFind
-- @indexes are the batch positions of @tenants/@keys/@periods; returns, for each that has one, the newest job of the
-- tenant and key created within the period that still blocks a duplicate: any state but failed (5) and cancelled (6).
-- One range of jobs_unique (migration 0009) per key.
SELECT k.i, j.id, CASE WHEN j.state = 1 AND j.run_at > {now} THEN 0::smallint ELSE j.state END
FROM unnest(@indexes::integer[], @tenants::text[], @keys::text[], @periods::interval[]) AS k(i, tenant, key, period)
CROSS JOIN LATERAL (
    SELECT u.id, u.state, u.run_at FROM {schema}.jobs AS u
    WHERE u.tenant = k.tenant AND u.unique_key = k.key AND u.created_at > {now} - k.period AND u.state NOT IN (5, 6)
    ORDER BY u.created_at DESC, u.id DESC
    LIMIT 1) AS j;

-- name: IdempotencyFind
-- @indexes are the batch positions of @tenants/@keys; returns the existing job of each key that has one.
SELECT k.i, j.id, j.kind, j.payload, CASE WHEN j.state = 1 AND j.run_at > {now} THEN 0::smallint ELSE j.state END
FROM unnest(@indexes::integer[], @tenants::text[], @keys::text[]) AS k(i, tenant, key)
JOIN {schema}.jobs AS j ON j.tenant = k.tenant AND j.idempotency_key = k.key;

-- name: JobsInsert
-- One row per array element, ids taken in batch order. A key that a concurrent transaction inserted meanwhile
-- is skipped (inserted = false) and looked up again by the caller.
WITH input AS MATERIALIZED (
    SELECT nextval('{schema}.jobs_id_seq') AS id, x.*
    FROM unnest(@kinds::text[], @queues::text[], @priorities::integer[], @payloads::text[], @run_ats::timestamptz[],
                @delays::interval[], @max_attempts::integer[], @concurrency_keys::text[], @concurrency_limits::integer[],
                @tenants::text[], @idempotency_keys::text[], @users::text[], @roles::text[], @tags::text[],
                @trace_parents::text[], @unique_keys::text[], @limit_names::text[], @limit_keys::text[])
         WITH ORDINALITY AS x(kind, queue, priority, payload, run_at, delay, max_attempts, concurrency_key,
                              concurrency_limit, tenant, idempotency_key, user_id, roles, tags, trace_parent, unique_key,
                              limit_name, limit_key, ord)
),
inserted AS (
    INSERT INTO {schema}.jobs (id, kind, queue, state, priority, payload, run_at, first_run_at, max_attempts,
                               concurrency_key, concurrency_limit, tenant, idempotency_key, user_id, roles, tags,
                               trace_parent, created_at, updated_at, unique_key, limit_name, limit_key)
    SELECT id, kind, queue, 1, priority, payload, coalesce(run_at, {now} + delay), coalesce(run_at, {now} + delay),
           max_attempts, concurrency_key, concurrency_limit, tenant, idempotency_key, user_id,
           ARRAY(SELECT jsonb_array_elements_text(roles::jsonb)), ARRAY(SELECT jsonb_array_elements_text(tags::jsonb)),
           trace_parent, {now}, {now}, unique_key, limit_name, limit_key
    FROM input ORDER BY ord
    ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id, queue, run_at, user_id
),
enqueued AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor)
    SELECT id, {now}, 0, 0, user_id FROM inserted ORDER BY id
),
notified AS (
    SELECT count(pg_notify(@channel, @origin || ' r ' || (extract(epoch FROM ready_at) * 1000000)::bigint || ' ' || queue)) AS n
    FROM (SELECT queue, greatest(min(run_at), {now}) AS ready_at FROM inserted GROUP BY queue) AS ready
)
SELECT i.ord::integer - 1, i.id, d.id IS NOT NULL, d.run_at, {now}, n.n
FROM input AS i LEFT JOIN inserted AS d ON d.id = i.id CROSS JOIN notified AS n
ORDER BY i.ord;

-- name: JobsClaim
-- Ready jobs of one queue in priority, due time and id order, locked with SKIP LOCKED so that concurrent claimers
-- take different jobs. The id = ANY(ARRAY(...)) form keeps the plan an index scan of jobs_claim (a join against
-- the locked subquery can turn into a sequential scan). The update does not test state = 1 again: locking
-- re-evaluated the subquery's conditions on each row's latest version, and the lock holds until commit. Such a
-- test would let the planner find the locked ids through jobs_claim (its predicate is state = 1, its last column
-- id), which on a table without statistics it does by reading the whole index on every claim. A keyed job must pass the key rule in this statement's
-- snapshot (cheap, skips the jobs blocked behind their key's head) and then concurrency_key_admits, which
-- serialises the claims of one key and counts with a fresh snapshot. The redundant "IS NOT NULL" lets a subquery
-- that the planner hashes still read the partial key indexes instead of the whole table.
WITH claimed AS (
    UPDATE {schema}.jobs SET
        state = 2, attempt = attempt + 1, lease_token = lease_token + 1, lease_expires_at = {now} + @lease,
        worker_id = @worker, cancel_requested = false, started_at = {now}, updated_at = {now}
    WHERE id = ANY(ARRAY(
        SELECT j.id FROM {schema}.jobs AS j
        WHERE j.state = 1 AND j.queue = @queue AND j.run_at <= {now}
          AND NOT EXISTS (SELECT 1 FROM {schema}.queues AS q WHERE q.name = @queue AND q.paused)
          AND {concurrency_key_rule}
        ORDER BY j.priority, j.run_at, j.id
        LIMIT @limit
        FOR UPDATE SKIP LOCKED))
    RETURNING id, kind, queue, priority, payload, attempt, max_attempts, lease_token, lease_expires_at,
              concurrency_key, tenant, user_id, roles, created_at, trace_parent
),
started AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor)
    SELECT id, {now}, 1, attempt, @worker FROM claimed ORDER BY id
)
SELECT id, kind, queue, priority, payload, attempt, max_attempts, lease_token, lease_expires_at,
       concurrency_key, tenant, user_id, roles, created_at, trace_parent
FROM claimed ORDER BY priority, id;

-- name: LimitedClaim
-- The claim under limits: one call of the function limited_claim (migration 0010), which reads candidates, takes their
-- keys' advisory locks, then admits and claims with a snapshot taken after the locks, in rounds while it is short.
-- @clock is a test clock's now (null: the database's clock, read inside after the locks). The limits' numbers come per
-- name as parallel arrays (null where a limit has no such number).
SELECT * FROM {schema}.limited_claim(@queue, @limit, @worker, @lease, @clock, @names, @max_running, @rate_counts, @periods,
                                     @first_chunk, @scan_max);

-- name: LimitsList
-- Per key of the limits @names (rate periods in @periods, null without a rate): running jobs, ready jobs (pending
-- and due) and starts inside the window.
WITH l AS (SELECT * FROM unnest(@names::text[], @periods::interval[]) AS l(name, period)),
counts AS (
    SELECT j.limit_name AS name, j.limit_key AS key, count(*) AS running, 0::bigint AS waiting, 0::bigint AS starts
    FROM {schema}.jobs AS j WHERE j.state = 2 AND j.limit_key IS NOT NULL AND j.limit_name IN (SELECT name FROM l)
    GROUP BY j.limit_name, j.limit_key
    UNION ALL
    SELECT j.limit_name, j.limit_key, 0, count(*), 0
    FROM {schema}.jobs AS j WHERE j.state = 1 AND j.limit_key IS NOT NULL AND j.limit_name IN (SELECT name FROM l) AND j.run_at <= {now}
    GROUP BY j.limit_name, j.limit_key
    UNION ALL
    SELECT l.name, s.limit_key, 0, 0, count(*)
    FROM l JOIN {schema}.limit_starts AS s
      ON (s.limit_key = l.name OR s.limit_key LIKE replace(replace(replace(l.name, '\', '\\'), '%', '\%'), '_', '\_') || ':%')
     AND s.started_at > {now} - l.period
    GROUP BY l.name, s.limit_key
)
SELECT name, key, sum(running)::integer, sum(waiting)::integer, sum(starts)::integer
FROM counts GROUP BY name, key
ORDER BY name COLLATE "C", key COLLATE "C";

-- name: JobsHeartbeat
-- Each job found by primary key from its own element, in the arrays' order (id order), as JobsComplete does, so a
-- heartbeat and a completion batch that share jobs lock them in the same order and never deadlock.
UPDATE {schema}.jobs AS j SET lease_expires_at = {now} + @lease
FROM unnest(@ids::bigint[], @tokens::bigint[]) AS l(id, token)
WHERE j.id = ANY(ARRAY[l.id]) AND j.lease_token = l.token AND j.state::integer = 2
RETURNING j.id, j.cancel_requested;

-- name: ProgressSet
-- @keep_percent keeps the stored percentage (a step starting sets only its phase).
WITH changed AS (
    UPDATE {schema}.jobs SET progress_percent = CASE WHEN @keep_percent THEN progress_percent ELSE @percent END, progress_phase = @phase, progress_message = @message,
                             updated_at = {now}
    WHERE id = @job_id AND lease_token = @token AND state::integer = 2
    RETURNING id, attempt, worker_id
),
progressed AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor, message)
    SELECT id, {now}, 2, attempt, worker_id, @text FROM changed
)
SELECT count(*) FROM changed;

-- name: LogAppend
-- A log line is a change like any other (only heartbeats leave updated_at alone); fenced like the event.
WITH changed AS (
    UPDATE {schema}.jobs SET updated_at = {now}
    WHERE id = @job_id AND lease_token = @token AND state::integer = 2
    RETURNING id, attempt, worker_id
),
logged AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor, message)
    SELECT id, {now}, 3, attempt, worker_id, @message FROM changed
)
SELECT count(*) FROM changed;

-- name: JobsComplete
-- One element per completion. A completion applies only while its job runs under the named token. A retry or
-- release (or snooze) of a job whose cancellation was requested ends it cancelled: a cancel is never lost. The
-- event's message is the error, else @messages (a snooze's), which never becomes last_error; a success's event has
-- none. The update finds each job by primary key from its own element, in the arrays' order, which the store makes
-- id order: concurrent batches (and heartbeats) that share jobs lock them in the same order and never deadlock.
-- "j.id = ANY(ARRAY[c.id])" is "j.id = c.id" that can be neither merge- nor hash-joined, so the only plan is that
-- loop over the elements (the plan test holds it to it). With a plain equality a generic plan made on an empty table
-- read all of jobs_pkey in id order and tested every row against every element (a path the planner offers for merge
-- joins, and which enable_seqscan = off does not price out); and the earlier form, which locked the rows in id order
-- first and matched "j.id = ANY(<the locked ids>)", scanned the locked rows and tested each against every element:
-- quadratic, 5 ms for 100 jobs where this takes 1.
WITH c AS (
    SELECT * FROM unnest(@ids::bigint[], @tokens::bigint[], @states::integer[], @events::integer[],
                         @uncharges::integer[], @delays::interval[], @actors::text[], @errors::text[],
                         @results::text[], @artifacts::text[], @messages::text[])
        AS c(id, token, state, event, uncharge, delay, actor, error, result, artifacts, message)
),
done AS (
    UPDATE {schema}.jobs AS j SET
        state            = CASE WHEN j.cancel_requested AND c.state = 1 THEN 6 ELSE c.state END,
        attempt          = j.attempt - c.uncharge,
        run_at           = CASE WHEN c.state = 1 AND NOT j.cancel_requested THEN {now} + c.delay ELSE j.run_at END,
        result           = c.result,
        artifacts        = c.artifacts,
        last_error       = coalesce(c.error, j.last_error),
        lease_expires_at = NULL,
        cancel_requested = false,
        finished_at      = CASE WHEN c.state >= 4 OR j.cancel_requested THEN {now} END,
        updated_at       = {now}
    FROM c
    WHERE j.id = ANY(ARRAY[c.id]) AND j.state::integer = 2 AND j.lease_token = c.token
    RETURNING j.id, j.queue, j.state, j.run_at, j.concurrency_key, j.attempt + c.uncharge AS ended_attempt,
              CASE WHEN j.state = 6 AND c.state = 1 THEN 8 ELSE c.event END AS event, c.actor,
              CASE WHEN j.state = 6 AND c.state = 1 THEN 'Cancelled: cancellation was requested while the attempt ran.'
                   WHEN c.state = 4 THEN NULL ELSE coalesce(c.error, c.message) END AS message
),
finished AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor, message)
    SELECT id, {now}, event, ended_attempt, actor, message FROM done ORDER BY id
),
notified AS (
    SELECT count(pg_notify(@channel, @origin || ' r ' || (extract(epoch FROM ready_at) * 1000000)::bigint || ' ' || queue)) AS n
    FROM (SELECT queue, min(run_at) AS ready_at FROM done WHERE state = 1 GROUP BY queue
          UNION ALL
          SELECT '*', {now} FROM done WHERE concurrency_key IS NOT NULL HAVING count(*) > 0) AS ready
)
SELECT d.id, d.queue, d.state, d.run_at, d.concurrency_key IS NOT NULL, {now}, n.n
FROM done AS d CROSS JOIN notified AS n;

-- name: JobsCompletePlain
-- What JobsComplete does for plain successes (no result, artefacts, error or message; the drain's common case): the
-- leases and actors only, none of the other outcomes' cases. Same fence, same lock order, same columns returned.
WITH c AS (
    SELECT * FROM unnest(@ids::bigint[], @tokens::bigint[], @actors::text[]) AS c(id, token, actor)
),
done AS (
    UPDATE {schema}.jobs AS j SET
        state = 4, result = NULL, artifacts = NULL, lease_expires_at = NULL, cancel_requested = false,
        finished_at = {now}, updated_at = {now}
    FROM c
    WHERE j.id = ANY(ARRAY[c.id]) AND j.state::integer = 2 AND j.lease_token = c.token
    RETURNING j.id, j.queue, j.state, j.run_at, j.concurrency_key, j.attempt, c.actor
),
finished AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor)
    SELECT id, {now}, 4, attempt, actor FROM done ORDER BY id
),
notified AS (
    SELECT count(pg_notify(@channel, @origin || ' r ' || (extract(epoch FROM {now}) * 1000000)::bigint || ' *')) AS n
    FROM (SELECT 1 FROM done WHERE concurrency_key IS NOT NULL HAVING count(*) > 0) AS keyed
)
SELECT d.id, d.queue, d.state, d.run_at, d.concurrency_key IS NOT NULL, {now}, n.n
FROM done AS d CROSS JOIN notified AS n;

-- name: JobsReap
-- One conditional update: rows are chosen and locked with SKIP LOCKED and rechecked on lock, so two reapers at
-- once never recover a job twice.
WITH reaped AS (
    UPDATE {schema}.jobs SET
        state            = CASE WHEN cancel_requested THEN 6 WHEN attempt >= max_attempts THEN 5 ELSE 1 END,
        finished_at      = CASE WHEN cancel_requested OR attempt >= max_attempts THEN {now} END,
        run_at           = {now},
        lease_expires_at = NULL,
        cancel_requested = false,
        last_error       = @message,
        updated_at       = {now}
    WHERE id = ANY(ARRAY(
            SELECT id FROM {schema}.jobs WHERE state = 2 AND lease_expires_at < {now}
            ORDER BY lease_expires_at LIMIT @limit
            FOR UPDATE SKIP LOCKED))
      AND state::integer = 2
    RETURNING id, queue, state, attempt, concurrency_key
),
stuck AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor, message)
    SELECT id, {now}, 10, attempt, 'reaper',
           @message || ' Now ' || CASE state WHEN 1 THEN 'pending' WHEN 5 THEN 'failed' ELSE 'cancelled' END || '.'
    FROM reaped ORDER BY id
),
notified AS (
    SELECT count(pg_notify(@channel, @origin || ' r ' || (extract(epoch FROM {now}) * 1000000)::bigint || ' ' || queue)) AS n
    FROM (SELECT DISTINCT queue FROM reaped WHERE state = 1
          UNION ALL
          SELECT '*' FROM reaped WHERE concurrency_key IS NOT NULL HAVING count(*) > 0) AS ready
)
SELECT r.id, r.queue, r.state, r.attempt, r.concurrency_key IS NOT NULL, {now}, n.n
FROM reaped AS r CROSS JOIN notified AS n;

-- name: JobCancel
-- A waiting job is cancelled at once; a running one is flagged. The last columns read the row as it was before
-- (this statement's snapshot) to tell an unknown job from a finished one.
WITH changed AS (
    UPDATE {schema}.jobs SET
        state            = CASE WHEN state = 2 THEN 2 ELSE 6 END,
        cancel_requested = (state = 2),
        finished_at      = CASE WHEN state = 2 THEN finished_at ELSE {now} END,
        updated_at       = {now}
    WHERE id = @job_id AND state IN (1, 2, 3)
    RETURNING id, state, attempt, concurrency_key
),
closed AS (
    -- A job awaiting input takes its question with it.
    UPDATE {schema}.interactions SET state = 4
    WHERE job_id = @job_id AND state = 1 AND EXISTS (SELECT 1 FROM changed WHERE state = 6)
),
recorded AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor, message)
    SELECT id, {now}, CASE WHEN state = 6 THEN 8 ELSE 7 END, attempt, @actor,
           CASE WHEN state = 6 THEN 'Cancelled before it ran.' ELSE 'Cancellation requested while running.' END
    FROM changed
),
notified AS (
    SELECT count(pg_notify(@channel, @origin || CASE WHEN state = 2 THEN ' c ' || id
                                                      ELSE ' r ' || (extract(epoch FROM {now}) * 1000000)::bigint || ' *' END)) AS n
    FROM changed WHERE state = 2 OR concurrency_key IS NOT NULL
)
SELECT (SELECT state FROM changed), (SELECT concurrency_key IS NOT NULL FROM changed),
       (SELECT state FROM {schema}.jobs WHERE id = @job_id), {now}, (SELECT n FROM notified);

-- name: JobRequeue
WITH changed AS (
    UPDATE {schema}.jobs SET state = 1, attempt = 0, run_at = {now}, finished_at = NULL, lease_expires_at = NULL,
                             updated_at = {now}
    WHERE id = @job_id AND state::integer = 5
    RETURNING id, queue, attempt
),
recorded AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor, message)
    SELECT id, {now}, 9, attempt, @actor, 'Requeued from the dead-letter queue with a fresh attempt budget.' FROM changed
),
notified AS (
    SELECT count(pg_notify(@channel, @origin || ' r ' || (extract(epoch FROM {now}) * 1000000)::bigint || ' ' || queue)) AS n
    FROM changed
)
SELECT (SELECT queue FROM changed), (SELECT state FROM {schema}.jobs WHERE id = @job_id), {now}, (SELECT n FROM notified);

-- name: QueueSetPaused
WITH saved AS (
    INSERT INTO {schema}.queues (name, paused, updated_at, changed_by) VALUES (@queue, @paused, {now}, @actor)
    ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at, changed_by = excluded.changed_by
    RETURNING paused
),
notified AS (
    SELECT count(pg_notify(@channel, @origin || ' r ' || (extract(epoch FROM {now}) * 1000000)::bigint || ' ' || @queue)) AS n
    FROM saved WHERE NOT paused
)
SELECT {now}, (SELECT n FROM notified);

-- name: JobColumns
id, kind, queue, CASE WHEN state = 1 AND run_at > {now} THEN 0::smallint ELSE state END AS state, priority, payload, run_at,
attempt, max_attempts, concurrency_key, idempotency_key, tenant, user_id, roles, tags, progress_percent,
progress_phase, progress_message, result, artifacts, last_error, cancel_requested, created_at, updated_at,
started_at, finished_at, lease_expires_at, schedule_name

-- name: EventsList
SELECT id, job_id, at, kind, attempt, actor, message FROM {schema}.job_events
WHERE job_id = @job_id AND id > @after ORDER BY id LIMIT @limit;

-- name: JobsPurge
-- Up to @limit finished jobs older than their state's age, oldest finish first, deleted with their events in one
-- statement. Candidates come from one range scan of jobs_finished per state (a null age matches nothing), are then
-- locked with SKIP LOCKED (a row another transaction holds, such as a requeue, is left for a later purge) and
-- rechecked on lock, so a job requeued meanwhile is never purged. The id = ANY(ARRAY(...)) forms keep index scans.
WITH purged AS (
    DELETE FROM {schema}.jobs
    WHERE id = ANY(ARRAY(
            SELECT j.id FROM {schema}.jobs AS j
            WHERE j.id = ANY(ARRAY(
                    SELECT c.id FROM (
                        (SELECT id, finished_at FROM {schema}.jobs
                         WHERE state = 4 AND finished_at < {now} - @succeeded_for ORDER BY finished_at LIMIT @limit)
                        UNION ALL
                        (SELECT id, finished_at FROM {schema}.jobs
                         WHERE state = 5 AND finished_at < {now} - @failed_for ORDER BY finished_at LIMIT @limit)
                        UNION ALL
                        (SELECT id, finished_at FROM {schema}.jobs
                         WHERE state = 6 AND finished_at < {now} - @cancelled_for ORDER BY finished_at LIMIT @limit)
                    ) AS c
                    ORDER BY c.finished_at, c.id
                    LIMIT @limit))
              AND j.state::integer IN (4, 5, 6)
              AND j.finished_at < {now} - CASE j.state WHEN 4 THEN @succeeded_for WHEN 5 THEN @failed_for ELSE @cancelled_for END
            ORDER BY j.id
            FOR UPDATE SKIP LOCKED))
      AND state::integer IN (4, 5, 6)
    RETURNING id
),
history AS (
    DELETE FROM {schema}.job_events WHERE job_id = ANY(ARRAY(SELECT id FROM purged))
),
steps AS (
    DELETE FROM {schema}.job_steps WHERE job_id = ANY(ARRAY(SELECT id FROM purged))
),
questions AS (
    DELETE FROM {schema}.interactions WHERE job_id = ANY(ARRAY(SELECT id FROM purged))
)
SELECT count(*)::integer FROM purged;

-- name: LeaderTryAcquire
-- One upsert whose update is conditional: takes the name when it is free, when its holder's time ran out, or renews
-- it for the same holder. Two nodes inserting the same name at once: one inserts, the other waits for it and then
-- finds a live holder. Returns the holder on success and no row otherwise.
INSERT INTO {schema}.leaders AS l (name, holder, expires_at) VALUES (@name, @holder, {now} + @ttl)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE l.holder = excluded.holder OR l.expires_at < {now}
RETURNING holder;

-- name: LeaderRelease
DELETE FROM {schema}.leaders WHERE name = @name AND holder = @holder;

-- name: QueuesList
-- Counts per queue, each state from its own partial index, so finished jobs are never read: waiting jobs from
-- jobs_claim, running (and stuck: running with an expired lease) from jobs_lease, awaiting input from jobs_awaiting,
-- failed from jobs_failed; and every queue with a stored flag, even one without jobs. oldest is the earliest run_at of
-- a ready job; then now, then the stuck count.
WITH counts AS (
    SELECT queue AS name, count(*) FILTER (WHERE run_at <= {now}) AS pending, count(*) FILTER (WHERE run_at > {now}) AS scheduled,
           0::bigint AS running, 0::bigint AS awaiting, 0::bigint AS failed, min(run_at) FILTER (WHERE run_at <= {now}) AS oldest,
           0::bigint AS stuck
    FROM {schema}.jobs WHERE state = 1 GROUP BY queue
    UNION ALL
    SELECT queue, 0, 0, count(*), 0, 0, NULL, count(*) FILTER (WHERE lease_expires_at < {now}) FROM {schema}.jobs WHERE state = 2 GROUP BY queue
    UNION ALL
    SELECT queue, 0, 0, 0, count(*), 0, NULL, 0 FROM {schema}.jobs WHERE state = 3 GROUP BY queue
    UNION ALL
    SELECT queue, 0, 0, 0, 0, count(*), NULL, 0 FROM {schema}.jobs WHERE state = 5 GROUP BY queue
    UNION ALL
    SELECT name, 0, 0, 0, 0, 0, NULL, 0 FROM {schema}.queues
)
SELECT c.name, sum(c.pending)::bigint, sum(c.scheduled)::bigint, sum(c.running)::bigint, sum(c.awaiting)::bigint,
       sum(c.failed)::bigint, min(c.oldest),
       coalesce((SELECT q.paused FROM {schema}.queues AS q WHERE q.name = c.name), false), {now}, sum(c.stuck)::bigint,
       (SELECT q.changed_by FROM {schema}.queues AS q WHERE q.name = c.name AND q.paused),
       (SELECT q.updated_at FROM {schema}.queues AS q WHERE q.name = c.name AND q.paused)
FROM counts AS c
GROUP BY c.name
ORDER BY c.name COLLATE "C";

-- name: StatsCounts
-- Jobs by kind and reported state (0 = scheduled). @tenant null: every tenant ('' is the default tenant); @user null:
-- anyone. It reads every job, finished ones too: run in a transaction that allows a sequential scan.
SELECT kind, CASE WHEN state = 1 AND run_at > {now} THEN 0::smallint ELSE state END AS reported, count(*)
FROM {schema}.jobs
WHERE (@tenant::text IS NULL OR tenant = @tenant::text) AND (@user::text IS NULL OR user_id = @user::text)
GROUP BY kind, reported;

-- name: StatsStuck
-- Running jobs whose lease expired: a range of jobs_lease.
SELECT count(*) FROM {schema}.jobs
WHERE state = 2 AND lease_expires_at < {now}
  AND (@tenant::text IS NULL OR tenant = @tenant::text) AND (@user::text IS NULL OR user_id = @user::text);

-- name: StatsDurations
-- Run times (µs) of jobs that succeeded since now - @window, from one range of jobs_finished: one row per kind, then one
-- row with a null kind for all kinds. p95 is the nearest rank: the value at rank ceil(0.95 n), written (95 n + 99) / 100
-- in integers, as the SQLite store does.
WITH measured AS (
    SELECT kind, (extract(epoch FROM finished_at - started_at) * 1000000)::bigint AS d FROM {schema}.jobs
    WHERE state = 4 AND finished_at >= {now} - @window AND started_at IS NOT NULL
      AND (@tenant::text IS NULL OR tenant = @tenant::text) AND (@user::text IS NULL OR user_id = @user::text)
),
ranked AS (
    SELECT kind, d,
           row_number() OVER (PARTITION BY kind ORDER BY d) AS kind_rank, count(*) OVER (PARTITION BY kind) AS kind_count,
           row_number() OVER (ORDER BY d) AS overall_rank, count(*) OVER () AS total
    FROM measured
)
SELECT kind, count(*), sum(d)::bigint, max(d) FILTER (WHERE kind_rank = (95 * kind_count + 99) / 100) FROM ranked GROUP BY kind
UNION ALL
SELECT NULL, count(*), sum(d)::bigint, max(d) FILTER (WHERE overall_rank = (95 * total + 99) / 100) FROM ranked;

-- name: EventsFeed
-- History events after @after in id order, with their job's kind, queue and owner. A purged job's events went with it.
-- Ids come from a sequence: one taken later may commit earlier, so a reader may see an id before a smaller one
-- becomes visible (docs/contract.md, change feed). The events are taken first, one range of the primary key, and each
-- job is then found by its own (OFFSET 0 keeps the lateral subquery from being flattened into a join the planner may
-- turn around): a plain join, planned while the tables looked empty, read every job first.
SELECT e.id, e.job_id, e.at, e.kind, e.attempt, e.actor, e.message, j.kind, j.queue, j.tenant, j.user_id
FROM (SELECT id, job_id, at, kind, attempt, actor, message FROM {schema}.job_events
      WHERE id > @after ORDER BY id LIMIT @limit) AS e
CROSS JOIN LATERAL (SELECT kind, queue, tenant, user_id FROM {schema}.jobs WHERE id = e.job_id OFFSET 0) AS j
ORDER BY e.id;

-- name: EventsLatestId
SELECT COALESCE(MAX(id), 0) FROM {schema}.job_events;

-- name: ApiKeyInsert
-- No row when the id exists: the caller reports the duplicate.
INSERT INTO {schema}.api_keys (id, secret_hash, name, user_id, tenant, roles, created_at, created_by)
VALUES (@id, @secret_hash, @name, @user_id, @tenant, @roles, {now}, @created_by)
ON CONFLICT (id) DO NOTHING;

-- name: ApiKeyGet
SELECT id, secret_hash, name, user_id, tenant, roles, created_at, created_by, revoked_at FROM {schema}.api_keys WHERE id = @id;

-- name: ApiKeysList
SELECT id, secret_hash, name, user_id, tenant, roles, created_at, created_by, revoked_at FROM {schema}.api_keys
ORDER BY created_at, id COLLATE "C";

-- name: ApiKeyRevoke
UPDATE {schema}.api_keys SET revoked_at = {now} WHERE id = @id AND revoked_at IS NULL;

-- name: StepsList
SELECT name, result, attempt, completed_at FROM {schema}.job_steps WHERE job_id = @job_id ORDER BY completed_at, name;

-- name: StepSave
-- Fenced by the lease like a log line; a step stored under the name keeps its result.
WITH changed AS (
    UPDATE {schema}.jobs SET updated_at = {now}
    WHERE id = @job_id AND lease_token = @token AND state::integer = 2
    RETURNING id, attempt, worker_id
),
saved AS (
    INSERT INTO {schema}.job_steps (job_id, name, result, attempt, completed_at)
    SELECT id, @name, @result, attempt, {now} FROM changed
    ON CONFLICT (job_id, name) DO NOTHING
    RETURNING job_id
),
recorded AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor, message)
    SELECT c.id, {now}, 12, c.attempt, c.worker_id, @message FROM changed AS c JOIN saved AS s ON s.job_id = c.id
)
SELECT count(*) FROM changed;

-- name: JobSuspend
-- Fenced by the lease: the job awaits input without charging the attempt (as a release does) and its question is
-- recorded, one per (job, key): an expired or cancelled one is asked afresh, an answered one is never touched. A
-- requested cancellation ends the job cancelled instead, its question cancelled. SET expressions read the old row.
WITH changed AS (
    UPDATE {schema}.jobs SET state = CASE WHEN cancel_requested THEN 6 ELSE 3 END, attempt = attempt - 1,
                             lease_expires_at = NULL, cancel_requested = false,
                             finished_at = CASE WHEN cancel_requested THEN {now} END, updated_at = {now}
    WHERE id = @job_id AND lease_token = @token AND state::integer = 2
    RETURNING id, state, attempt + 1 AS asked_attempt, tenant, user_id, concurrency_key
),
asked AS (
    INSERT INTO {schema}.interactions AS i (job_id, key, state, tenant, user_id, prompt, timeout, deadline, timeout_action,
                                            default_answer, max_reasks, allowed_users, allowed_roles, asked_at)
    SELECT id, @key, CASE WHEN state = 6 THEN 4 ELSE 1 END, tenant, user_id, @prompt, @timeout, {now} + @timeout, @action,
           @default_answer, @max_reasks, @allowed_users, @allowed_roles, {now}
    FROM changed
    ON CONFLICT (job_id, key) DO UPDATE SET
        state = excluded.state, prompt = excluded.prompt, timeout = excluded.timeout, deadline = excluded.deadline,
        timeout_action = excluded.timeout_action, default_answer = excluded.default_answer, max_reasks = excluded.max_reasks,
        escalations = 0, allowed_users = excluded.allowed_users, allowed_roles = excluded.allowed_roles,
        asked_at = excluded.asked_at, answer = NULL, answered_at = NULL, answered_by = NULL
    WHERE i.state <> 2
),
recorded AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor, message)
    SELECT id, {now}, CASE WHEN state = 6 THEN 8 ELSE 13 END, asked_attempt, @actor,
           CASE WHEN state = 6 THEN 'Cancelled: cancellation was requested while the attempt ran.' ELSE @message END
    FROM changed
),
notified AS (
    SELECT count(pg_notify(@channel, @origin || ' r ' || (extract(epoch FROM {now}) * 1000000)::bigint || ' *')) AS n
    FROM changed WHERE state = 6 AND concurrency_key IS NOT NULL
)
SELECT (SELECT state FROM changed), (SELECT concurrency_key IS NOT NULL FROM changed), {now}, (SELECT n FROM notified);

-- name: InteractionAnswer
-- Conditional on the question still pending: of two racing answers the second waits for the first's row lock, then
-- finds it answered and changes nothing. The job goes from awaiting input to pending, due now, with its event.
-- Jobs are joined as "j.id = ANY(ARRAY[a.job_id])", never "j.id = a.job_id": see JobsComplete.
WITH answered AS (
    UPDATE {schema}.interactions SET state = 2, answer = @answer, answered_at = {now}, answered_by = @actor
    WHERE id = @id AND state::integer = 1
    RETURNING job_id, key
),
resumed AS (
    UPDATE {schema}.jobs AS j SET state = 1, run_at = {now}, updated_at = {now}
    FROM answered AS a
    WHERE j.id = ANY(ARRAY[a.job_id]) AND j.state::integer = 3
    RETURNING j.id, j.queue
),
recorded AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor, message)
    SELECT a.job_id, {now}, 14, j.attempt, @actor, 'Answered ''' || a.key || '''; the job is back in its queue.'
    FROM answered AS a JOIN {schema}.jobs AS j ON j.id = ANY(ARRAY[a.job_id])
),
notified AS (
    SELECT count(pg_notify(@channel, @origin || ' r ' || (extract(epoch FROM {now}) * 1000000)::bigint || ' ' || queue)) AS n
    FROM resumed
)
SELECT (SELECT count(*) FROM answered), (SELECT state FROM {schema}.interactions WHERE id = @id),
       (SELECT queue FROM resumed), {now}, (SELECT n FROM notified);

-- name: InteractionsExpire
-- Pending questions past their deadline, locked with SKIP LOCKED and rechecked on lock, so that concurrent sweepers
-- never time one out twice; each changes once by its policy: the default answer (action 1; the job back to pending),
-- a new deadline (action 2 with re-asks left), or expired (action 0, or 2 without re-asks left; the job failed).
WITH due AS (
    UPDATE {schema}.interactions SET
        state       = CASE WHEN timeout_action = 1 THEN 2 WHEN timeout_action = 2 AND escalations < max_reasks THEN 1 ELSE 3 END,
        answer      = CASE WHEN timeout_action = 1 THEN default_answer ELSE answer END,
        answered_at = CASE WHEN timeout_action = 1 THEN {now} ELSE answered_at END,
        answered_by = CASE WHEN timeout_action = 1 THEN 'timeout' ELSE answered_by END,
        escalations = CASE WHEN timeout_action = 2 AND escalations < max_reasks THEN escalations + 1 ELSE escalations END,
        deadline    = CASE WHEN timeout_action = 2 AND escalations < max_reasks THEN {now} + timeout ELSE deadline END
    WHERE id = ANY(ARRAY(
            SELECT id FROM {schema}.interactions WHERE state = 1 AND deadline < {now}
            ORDER BY deadline LIMIT @limit
            FOR UPDATE SKIP LOCKED))
      AND state::integer = 1
    RETURNING id, job_id, key, state, escalations, max_reasks
),
described AS (
    SELECT d.*, 'No answer to ''' || d.key || ''' in time' ||
                CASE WHEN d.state = 3 AND d.max_reasks > 0 THEN ' after ' || d.max_reasks || ' re-asks.' ELSE '.' END AS error
    FROM due AS d
),
resumed AS (
    UPDATE {schema}.jobs AS j SET state = 1, run_at = {now}, updated_at = {now}
    FROM described AS d
    WHERE j.id = ANY(ARRAY[d.job_id]) AND d.state = 2 AND j.state::integer = 3
    RETURNING j.id, j.queue
),
failed AS (
    UPDATE {schema}.jobs AS j SET state = 5, finished_at = {now}, last_error = d.error, updated_at = {now}
    FROM described AS d
    WHERE j.id = ANY(ARRAY[d.job_id]) AND d.state = 3 AND j.state::integer = 3
    RETURNING j.id, j.concurrency_key
),
recorded AS (
    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor, message)
    SELECT e.job_id, {now}, e.kind, j.attempt, 'timeout', e.message
    FROM (SELECT job_id, 0 AS ord, 15 AS kind,
                 CASE state WHEN 2 THEN error || ' Answered with its default and back in its queue.'
                            WHEN 1 THEN error || ' Asked again (escalation ' || escalations || ' of ' || max_reasks || ').'
                            ELSE error || ' The job failed.' END AS message
          FROM described
          UNION ALL
          SELECT job_id, 1, 6, error FROM described WHERE state = 3) AS e
    JOIN {schema}.jobs AS j ON j.id = ANY(ARRAY[e.job_id])
    ORDER BY e.job_id, e.ord
),
notified AS (
    SELECT count(pg_notify(@channel, @origin || ' r ' || (extract(epoch FROM {now}) * 1000000)::bigint || ' ' || queue)) AS n
    FROM (SELECT DISTINCT queue FROM resumed
          UNION ALL
          SELECT '*' FROM failed WHERE concurrency_key IS NOT NULL HAVING count(*) > 0) AS ready
)
SELECT d.id, d.job_id, d.key, d.state, {now}, n.n
FROM due AS d CROSS JOIN notified AS n;

-- name: InteractionColumns
i.id, i.job_id, j.kind, i.key, i.state, i.prompt, i.answer, i.tenant, i.user_id, i.allowed_users, i.allowed_roles,
i.timeout_action, i.default_answer, i.max_reasks, i.timeout, i.escalations, i.asked_at, i.deadline, i.answered_at,
i.answered_by

-- name: ScheduleColumns
name, cron, time_zone, kind, payload, queue, priority, misfire, max_catch_up, overlap, source, paused, paused_by,
next_fire_at, last_fired_at, last_job_id, created_at, updated_at

-- name: ScheduleUpsert
-- A changed expression or zone takes the caller's next fire time; otherwise the stored one stands (a restart loses no
-- tick). The pause, its actor and created_at are kept. NOTIFY "<origin> s" wakes the other processes' schedulers.
WITH upserted AS (
INSERT INTO {schema}.schedules AS s (name, cron, time_zone, kind, payload, queue, priority, misfire, max_catch_up,
                                     overlap, source, next_fire_at, created_at, updated_at)
VALUES (@name, @cron, @time_zone, @kind, @payload, @queue, @priority, @misfire, @max_catch_up, @overlap, @source,
        @next_fire_at, {now}, {now})
ON CONFLICT (name) DO UPDATE SET
    next_fire_at = CASE WHEN s.cron = excluded.cron AND s.time_zone = excluded.time_zone
                        THEN s.next_fire_at ELSE excluded.next_fire_at END,
    cron = excluded.cron, time_zone = excluded.time_zone, kind = excluded.kind, payload = excluded.payload,
    queue = excluded.queue, priority = excluded.priority, misfire = excluded.misfire,
    max_catch_up = excluded.max_catch_up, overlap = excluded.overlap, source = excluded.source,
    updated_at = excluded.updated_at
RETURNING 1
)
SELECT count(pg_notify(@channel, @origin || ' s')) FROM upserted;

-- name: ScheduleGet
SELECT {ScheduleColumns} FROM {schema}.schedules WHERE name = @name;

-- name: SchedulesList
SELECT {ScheduleColumns} FROM {schema}.schedules ORDER BY name;

-- name: ScheduleSetPaused
-- A resume of a paused schedule starts from the caller's next fire time, so ticks that fell in the pause never fire.
-- Returns how many schedules it changed (0 or 1); NOTIFY "<origin> s" wakes the other processes' schedulers.
WITH changed AS (
    UPDATE {schema}.schedules SET
        next_fire_at = CASE WHEN NOT @paused AND paused THEN @next_fire_at ELSE next_fire_at END,
        paused = @paused, paused_by = CASE WHEN @paused THEN @actor END, updated_at = {now}
    WHERE name = @name
    RETURNING 1
)
SELECT count(*), count(pg_notify(@channel, @origin || ' s')) FROM changed;

-- name: ScheduleDelete
DELETE FROM {schema}.schedules WHERE name = @name;

-- name: SchedulesDue
-- One row at least: the statement's now and the earliest next fire time ahead, then the due schedules (if any).
WITH due AS (
    SELECT {ScheduleColumns} FROM {schema}.schedules
    WHERE NOT paused AND next_fire_at <= {now} ORDER BY next_fire_at LIMIT @limit
)
SELECT {now}, (SELECT min(next_fire_at) FROM {schema}.schedules WHERE NOT paused AND next_fire_at > {now}), due.*
FROM (SELECT 1) AS one LEFT JOIN due ON true
ORDER BY due.next_fire_at;

-- name: ScheduleAdvance
-- The compare-and-set of a firing. A concurrent firing of the same tick waits for this row's lock, then finds
-- next_fire_at changed (READ COMMITTED re-reads the row) and updates nothing.
UPDATE {schema}.schedules SET next_fire_at = @next_fire_at, updated_at = {now}
WHERE name = @name AND next_fire_at = @expected AND NOT paused
RETURNING last_job_id;

-- name: ScheduleJobActive
SELECT count(*) FROM {schema}.jobs WHERE id = @job_id AND state::integer IN (1, 2, 3);

-- name: ScheduleExists
SELECT count(*) FROM {schema}.schedules WHERE name = @name;

-- name: ScheduleRecordJob
UPDATE {schema}.schedules SET last_job_id = @job_id, last_fired_at = coalesce(@tick, last_fired_at), updated_at = {now}
WHERE name = @name;

-- name: JobsLinkSchedule
-- Links jobs a schedule inserted, and says so in their enqueued events.
WITH linked AS (
    UPDATE {schema}.jobs SET schedule_name = @name WHERE id = ANY(@ids) RETURNING id
)
UPDATE {schema}.job_events AS e SET message = m.message
FROM unnest(@ids::bigint[], @messages::text[]) AS m(id, message)
WHERE e.job_id = m.id AND e.kind = 0 AND m.id IN (SELECT id FROM linked);

-- name: LimitStartsPurge
-- Start records older than every configured rate window, by the retention leader. SKIP LOCKED leaves rows a claim is
-- pruning or counting to that claim.
DELETE FROM {schema}.limit_starts
WHERE ctid = ANY(ARRAY(SELECT ctid FROM {schema}.limit_starts WHERE started_at < {now} - @older_than LIMIT @limit FOR UPDATE SKIP LOCKED));

-- name: ConcurrencyKeyRule
-- The claim's test of a candidate j's concurrency key, shared by JobsClaim and LimitedCandidates through the
-- {concurrency_key_rule} placeholder: a keyed job passes the key rule in the statement's snapshot (cheap, skips the
-- jobs blocked behind their key's head) and then concurrency_key_admits, which serialises the claims of one key and
-- counts with a fresh snapshot.
CASE
    WHEN j.concurrency_key IS NULL THEN true
    WHEN (SELECT count(*) FROM {schema}.jobs AS k
          WHERE k.concurrency_key = j.concurrency_key AND k.concurrency_key IS NOT NULL AND k.state IN (2, 3))
       + (SELECT count(*) FROM (SELECT 1 FROM {schema}.jobs AS k
                                WHERE k.concurrency_key = j.concurrency_key AND k.concurrency_key IS NOT NULL
                                  AND k.state = 1 AND (k.first_run_at, k.id) < (j.first_run_at, j.id)
                                LIMIT j.concurrency_limit) AS ahead)
       >= j.concurrency_limit THEN false
    ELSE {schema}.concurrency_key_admits(j.concurrency_key, j.first_run_at, j.id, j.concurrency_limit)
END
