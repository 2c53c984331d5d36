-- Named queries of the SQLite store. Each block starts with "-- name: <Name>" and runs as one command.
-- Parameters: @now is the store's clock in microseconds since the Unix epoch.
-- A LIMIT is written "LIMIT CAST(@limit AS INTEGER)", never "LIMIT @limit": SQLite 3.4x+ plans with the value of a
-- bare parameter in LIMIT, so every re-bind of it (each call, as Microsoft.Data.Sqlite binds every time) expires
-- the prepared statement and the next step re-prepares it. For the claim that re-prepare took ~0.7 ms, some
-- 20 times the claim itself (bench/README.md); an expression is evaluated at run time and keeps the statement.
-- The writes of the hot paths (the insert and its event, the claims, the plain completion) are INSERT or UPDATE OR
-- FAIL, and the plain completion and the limited claim take their ids as parameters ({ids}: @id0 to @id15, unused ones
-- NULL), not from json_each. SQLite keeps a statement journal, a copy of every page the statement is first to change in the
-- transaction (3 to 10 pages per statement here), for a statement that may write more than one row (an AUTOINCREMENT
-- insert writes two, a trigger more) and may abort half-way: on a constraint under the default ABORT, or, whatever
-- the conflict clause, when it reads a virtual table such as json_each (zeroblob() in the insert did the same). The
-- journal serves only to undo the half of a failed statement, and the store never goes on after a failed statement:
-- the write's transaction or savepoint is rolled back whole. Dropping it took ~8% off the claim-and-complete loop
-- (bench/README.md).

-- name: IdempotencyFind
SELECT id, kind, payload, state, run_at FROM jobs WHERE tenant = @tenant AND idempotency_key = @key;

-- name: UniqueFind
-- The newest job of the tenant and unique key created within the period (@period µs) that still blocks a duplicate:
-- any state but failed (5) and cancelled (6). One range of jobs_unique (migration 0010).
SELECT id, state, run_at FROM jobs
WHERE tenant = @tenant AND unique_key = @key AND created_at > @now - @period AND state NOT IN (5, 6)
ORDER BY created_at DESC, id DESC
LIMIT 1;

-- name: QueueWaitingCount
SELECT count(*) FROM jobs WHERE queue = @queue AND state = 1;

-- name: TenantWaitingCount
-- The tenant's waiting jobs in every queue. A named tenant: one range of jobs_tenant_waiting, no other job read. The
-- default tenant ('') has no entries there (migration 0013): every waiting job (jobs_claim) less the named tenants'.
-- CASE runs only the subqueries of the branch it takes.
SELECT CASE WHEN @tenant <> '' THEN (SELECT count(*) FROM jobs WHERE tenant = @tenant AND tenant <> '' AND state = 1)
            ELSE (SELECT count(*) FROM jobs WHERE state = 1) - (SELECT count(*) FROM jobs WHERE tenant <> '' AND state = 1)
       END;

-- name: JobInsert
-- slack: room the claim's stamps take over (migration 0012), 48 zero bytes. A literal, not zeroblob(48), which kept a
-- statement journal here as json_each does in an update (see the head of this file).
INSERT OR FAIL INTO jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts,
                  concurrency_key, concurrency_limit, tenant, idempotency_key, user_id, roles, tags,
                  trace_parent, created_at, updated_at, unique_key, limit_name, limit_key, slack)
VALUES (@kind, @queue, 1, @priority, @payload, @run_at, @run_at, @max_attempts,
        @concurrency_key, @concurrency_limit, @tenant, @idempotency_key, @user_id, @roles, @tags,
        @trace_parent, @now, @now, @unique_key, @limit_name, @limit_key,
        X'000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000')
RETURNING id;

-- name: EventInsert
INSERT OR FAIL INTO job_events (job_id, at, kind, attempt, actor, message)
SELECT id, @now, @kind, attempt, @actor, @message FROM jobs WHERE id = @job_id;

-- name: EventsInsertForIds
-- One event of one kind for every job id in the JSON array @ids.
INSERT INTO job_events (job_id, at, kind, attempt, actor, message)
SELECT j.id, @now, @kind, j.attempt, @actor, @message
FROM json_each(@ids) AS i JOIN jobs AS j ON j.id = i.value;

-- name: ClaimCandidates
-- One priority's ready jobs in due order. A job with a concurrency key qualifies only while fewer than its
-- limit of that key's jobs are active or wait ahead of it. {priority} is replaced by 0..3 and the four
-- blocks are joined, so each is a tight range scan of jobs_claim. {columns} is more of the job's columns, read
-- from the row the scan visits anyway (the limited claim's limit name and key), or nothing.
SELECT * FROM (
    SELECT j.id, j.priority, j.run_at{columns} FROM jobs AS j
    WHERE j.state = 1 AND j.queue = @queue AND j.priority = {priority} AND j.run_at <= @now
      AND (j.concurrency_key IS NULL OR CASE WHEN j.concurrency_limit = 1 THEN
              NOT EXISTS (SELECT 1 FROM jobs AS k WHERE k.concurrency_key = j.concurrency_key AND k.state IN (2, 3))
              AND NOT EXISTS (SELECT 1 FROM jobs AS k WHERE k.concurrency_key = j.concurrency_key AND k.state = 1
                                  AND (k.first_run_at, k.id) < (j.first_run_at, j.id))
          ELSE
              (SELECT count(*) FROM jobs AS k WHERE k.concurrency_key = j.concurrency_key AND k.state IN (2, 3))
              + (SELECT count(*) FROM (SELECT 1 FROM jobs AS k WHERE k.concurrency_key = j.concurrency_key AND k.state = 1
                                          AND (k.first_run_at, k.id) < (j.first_run_at, j.id) LIMIT 1000))
              < j.concurrency_limit
          END)
    ORDER BY j.run_at, j.id
    LIMIT CAST(@limit AS INTEGER))

-- name: ClaimUpdate
-- Follows "WITH ready AS (<the four ClaimCandidates blocks>)".
UPDATE OR FAIL jobs
SET state = 2, attempt = attempt + 1, lease_token = lease_token + 1, lease_expires_at = @lease_until,
    worker_id = @worker, cancel_requested = 0, started_at = @now, updated_at = @now, slack = NULL
WHERE id IN (SELECT id FROM ready ORDER BY priority, run_at, id LIMIT CAST(@limit AS INTEGER))
  AND NOT EXISTS (SELECT 1 FROM queues WHERE name = @queue AND paused = 1)
-- Only what the caller cannot know: the queue is @queue and the lease ends at @lease_until. The ninth column is 1 for
-- a job with no key, principal or trace (most of them), whose last five columns the reader then skips.
-- The trigger jobs_started (migration 0012) writes each claimed job's Started event.
RETURNING id, kind, priority, payload, attempt, max_attempts, lease_token, created_at,
          concurrency_key IS NULL AND tenant = '' AND user_id IS NULL AND roles = '[]' AND trace_parent IS NULL,
          concurrency_key, tenant, user_id, roles, trace_parent;

-- name: LimitedCandidatesTail
-- Follows "WITH ready AS (<the four ClaimCandidates blocks with each job's limit name and key, each also after the
-- keyset @after_*>)": the next chunk of the claim's candidates in claim order, none while the queue is paused. With
-- each its limit key and, for a keyed job, that key's running jobs and its starts inside the window of its limit (@windows: a JSON object of limit name
-- to window start, now minus the rate period; a limit without a rate is absent, so no start counts) and the oldest
-- of them: the counts the limited claim admits against, read in the same statement instead of another. With no rate
-- limit configured (@windows is '{}') the start counts are not looked up at all.
SELECT r.id, r.priority, r.run_at, r.limit_name, r.limit_key,
       CASE WHEN r.limit_key IS NULL THEN 0
            ELSE (SELECT count(*) FROM jobs AS k WHERE k.limit_key = r.limit_key AND k.state = 2 AND k.limit_key IS NOT NULL) END,
       CASE WHEN r.limit_key IS NULL OR @windows = '{}' THEN 0
            ELSE (SELECT count(*) FROM limit_starts AS s
                  WHERE s.limit_key = r.limit_key AND s.started_at > json_extract(@windows, '$."' || r.limit_name || '"')) END,
       CASE WHEN r.limit_key IS NULL OR @windows = '{}' THEN NULL
            ELSE (SELECT min(s.started_at) FROM limit_starts AS s
                  WHERE s.limit_key = r.limit_key AND s.started_at > json_extract(@windows, '$."' || r.limit_name || '"')) END
FROM ready AS r
WHERE NOT EXISTS (SELECT 1 FROM queues WHERE name = @queue AND paused = 1)
ORDER BY r.priority, r.run_at, r.id
LIMIT CAST(@limit AS INTEGER);

-- name: LimitedClaimUpdate
-- Up to 16 admitted ids ({ids}), read in this same write transaction, so still pending; the same SET and RETURNING as
-- ClaimUpdate.
UPDATE OR FAIL jobs
SET state = 2, attempt = attempt + 1, lease_token = lease_token + 1, lease_expires_at = @lease_until,
    worker_id = @worker, cancel_requested = 0, started_at = @now, updated_at = @now, slack = NULL
WHERE id IN ({ids}) AND state = 1
RETURNING id, kind, priority, payload, attempt, max_attempts, lease_token, created_at,
          concurrency_key IS NULL AND tenant = '' AND user_id IS NULL AND roles = '[]' AND trace_parent IS NULL,
          concurrency_key, tenant, user_id, roles, trace_parent;

-- name: LimitStartsInsert
-- One start row per element of the JSON array of keys @keys.
INSERT INTO limit_starts (limit_key, started_at) SELECT value, @now FROM json_each(@keys);

-- name: LimitStartsPrune
-- @keys: JSON array of [key, window start] pairs; drops the starts of those keys that left their window.
DELETE FROM limit_starts
WHERE rowid IN (SELECT s.rowid FROM json_each(@keys) AS k JOIN limit_starts AS s ON s.limit_key = k.value ->> 0
                WHERE s.started_at <= k.value ->> 1);

-- name: LimitsList
-- @limits: JSON array of [name, window start] pairs. Per key of those limits: running jobs, ready jobs (pending and
-- due) and starts inside the window.
SELECT c.name, c.key, sum(c.running), sum(c.waiting), sum(c.starts)
FROM (
    SELECT j.limit_name AS name, j.limit_key AS key, count(*) AS running, 0 AS waiting, 0 AS starts
    FROM json_each(@limits) AS l JOIN jobs AS j ON j.limit_name = l.value ->> 0 AND j.state = 2 AND j.limit_key IS NOT NULL
    GROUP BY j.limit_name, j.limit_key
    UNION ALL
    SELECT j.limit_name, j.limit_key, 0, count(*), 0
    FROM json_each(@limits) AS l JOIN jobs AS j ON j.limit_name = l.value ->> 0 AND j.state = 1 AND j.limit_key IS NOT NULL
    WHERE j.run_at <= @now
    GROUP BY j.limit_name, j.limit_key
    UNION ALL
    SELECT l.value ->> 0, s.limit_key, 0, 0, count(*)
    FROM json_each(@limits) AS l JOIN limit_starts AS s
      ON s.limit_key >= l.value ->> 0 AND s.limit_key < (l.value ->> 0) || ';' AND s.started_at > l.value ->> 1
    WHERE s.limit_key = l.value ->> 0 OR substr(s.limit_key, 1, length(l.value ->> 0) + 1) = (l.value ->> 0) || ':'
    GROUP BY l.value ->> 0, s.limit_key
) AS c
GROUP BY c.name, c.key
ORDER BY c.name, c.key;

-- name: JobsHeartbeat
-- @leases is a JSON array of [id, token] pairs.
UPDATE jobs SET lease_expires_at = @lease_until
FROM json_each(@leases) AS l
WHERE jobs.id = l.value ->> 0 AND jobs.lease_token = l.value ->> 1 AND jobs.state = 2
RETURNING jobs.id, jobs.cancel_requested;

-- name: ProgressSet
-- @keep_percent = 1 keeps the stored percentage (a step starting sets only its phase).
UPDATE jobs SET progress_percent = CASE WHEN @keep_percent = 1 THEN progress_percent ELSE @percent END, progress_phase = @phase, progress_message = @message, updated_at = @now
WHERE id = @job_id AND lease_token = @token AND state = 2;

-- name: AttemptTouch
-- Stamps updated_at for a write about an attempt (a log line), only while the job runs under the given token.
UPDATE jobs SET updated_at = @now WHERE id = @job_id AND lease_token = @token AND state = 2;

-- name: CompleteEvents
-- Runs before CompleteUpdate, while the fenced jobs are still running under their tokens.
-- @items: JSON array of {id, token, state, event, error, message, actor, result, artifacts, delay, uncharge}; the
-- event's message is the error, else the message (a snooze's), which never becomes last_error. A success's event is
-- the trigger jobs_succeeded's (migration 0014).
INSERT INTO job_events (job_id, at, kind, attempt, actor, message)
SELECT j.id, @now,
       CASE WHEN j.cancel_requested = 1 AND c.value ->> 'state' = 1 THEN 8 ELSE c.value ->> 'event' END,
       j.attempt, c.value ->> 'actor',
       CASE WHEN j.cancel_requested = 1 AND c.value ->> 'state' = 1 THEN 'Cancelled: cancellation was requested while the attempt ran.'
            ELSE coalesce(c.value ->> 'error', c.value ->> 'message') END
FROM json_each(@items) AS c JOIN jobs AS j ON j.id = c.value ->> 'id'
WHERE j.state = 2 AND j.lease_token = c.value ->> 'token' AND c.value ->> 'state' <> 4;

-- name: CompleteUpdate
-- A retry or release of a job whose cancellation was requested ends it cancelled: a cancel is never lost.
UPDATE jobs SET
    state            = CASE WHEN cancel_requested = 1 AND c.value ->> 'state' = 1 THEN 6 ELSE c.value ->> 'state' END,
    attempt          = attempt - (c.value ->> 'uncharge'),
    run_at           = CASE WHEN c.value ->> 'state' = 1 AND cancel_requested = 0 THEN @now + (c.value ->> 'delay') ELSE run_at END,
    result           = c.value ->> 'result',
    artifacts        = c.value ->> 'artifacts',
    last_error       = coalesce(c.value ->> 'error', last_error),
    lease_expires_at = NULL,
    cancel_requested = 0,
    finished_at      = CASE WHEN c.value ->> 'state' >= 4 OR cancel_requested = 1 THEN @now END,
    worker_id        = CASE WHEN c.value ->> 'state' = 4 THEN c.value ->> 'actor' ELSE worker_id END,
    updated_at       = @now
FROM json_each(@items) AS c
WHERE jobs.id = c.value ->> 'id' AND jobs.state = 2 AND jobs.lease_token = c.value ->> 'token'
RETURNING jobs.id, jobs.queue, jobs.state, jobs.run_at, jobs.concurrency_key;

-- name: CompleteSucceededUpdate
-- What CompleteUpdate does for plain successes (no result, artefacts or error) by one actor, up to 16 jobs ({ids})
-- with their lease tokens ({tokens}: @token0 to @token15, in CASE id WHEN @id0 THEN @token0 …). The trigger
-- jobs_succeeded (migration 0014) writes the events.
UPDATE OR FAIL jobs SET state = 4, result = NULL, artifacts = NULL, lease_expires_at = NULL, cancel_requested = 0,
                        finished_at = @now, updated_at = @now, worker_id = @actor
WHERE id IN ({ids}) AND state = 2 AND lease_token = CASE id {tokens} END
RETURNING id, concurrency_key;

-- name: JobsReap
UPDATE jobs SET
    state            = CASE WHEN cancel_requested = 1 THEN 6 WHEN attempt >= max_attempts THEN 5 ELSE 1 END,
    finished_at      = CASE WHEN cancel_requested = 1 OR attempt >= max_attempts THEN @now END,
    run_at           = @now,
    lease_expires_at = NULL,
    cancel_requested = 0,
    last_error       = @message,
    updated_at       = @now
WHERE id IN (SELECT id FROM jobs WHERE state = 2 AND lease_expires_at < @now ORDER BY lease_expires_at LIMIT CAST(@limit AS INTEGER))
RETURNING id, queue, state, attempt, concurrency_key;

-- name: JobStateFind
SELECT state FROM jobs WHERE id = @job_id;

-- name: CancelWaiting
UPDATE jobs SET state = 6, finished_at = @now, updated_at = @now WHERE id = @job_id AND state IN (1, 3)
RETURNING concurrency_key;

-- name: CancelRunning
UPDATE jobs SET cancel_requested = 1, updated_at = @now WHERE id = @job_id AND state = 2;

-- name: Requeue
UPDATE jobs SET state = 1, attempt = 0, run_at = @now, finished_at = NULL, lease_expires_at = NULL, updated_at = @now
WHERE id = @job_id AND state = 5
RETURNING queue;

-- name: QueueSetPaused
INSERT INTO queues (name, paused, updated_at, changed_by) VALUES (@queue, @paused, @now, @actor)
ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at, changed_by = excluded.changed_by;

-- name: JobColumns
id, kind, queue, state, priority, payload, run_at, attempt, max_attempts, concurrency_key, idempotency_key,
tenant, user_id, roles, tags, progress_percent, progress_phase, progress_message, result, artifacts,
last_error, cancel_requested, created_at, updated_at, started_at, finished_at, lease_expires_at, schedule_name

-- name: EventsList
SELECT id, job_id, at, kind, attempt, actor, message FROM job_events
WHERE job_id = @job_id AND id > @after ORDER BY id LIMIT CAST(@limit AS INTEGER);

-- name: FencedEventInsert
-- Appends an event only while the job runs under the given lease token.
INSERT INTO job_events (job_id, at, kind, attempt, actor, message)
SELECT id, @now, @kind, attempt, worker_id, @message FROM jobs WHERE id = @job_id AND lease_token = @token AND state = 2;

-- name: PurgeCandidates
-- Up to @limit finished jobs older than their state's age, oldest finish first: one range scan of jobs_finished
-- per state. A null age (@succeeded_for, @failed_for, @cancelled_for, in microseconds) keeps the state: the
-- comparison with null matches nothing. The repeated "state IN (4, 5, 6)" lets SQLite prove the partial index applies.
SELECT id FROM (
    SELECT id, finished_at FROM (SELECT id, finished_at FROM jobs
                                 WHERE state IN (4, 5, 6) AND state = 4 AND finished_at < @now - @succeeded_for
                                 ORDER BY finished_at LIMIT @limit)
    UNION ALL
    SELECT id, finished_at FROM (SELECT id, finished_at FROM jobs
                                 WHERE state IN (4, 5, 6) AND state = 5 AND finished_at < @now - @failed_for
                                 ORDER BY finished_at LIMIT @limit)
    UNION ALL
    SELECT id, finished_at FROM (SELECT id, finished_at FROM jobs
                                 WHERE state IN (4, 5, 6) AND state = 6 AND finished_at < @now - @cancelled_for
                                 ORDER BY finished_at LIMIT @limit)
)
ORDER BY finished_at, id LIMIT @limit;

-- name: PurgeEvents
-- @ids: JSON array of the job ids being purged.
DELETE FROM job_events WHERE job_id IN (SELECT value FROM json_each(@ids));

-- name: PurgeSteps
DELETE FROM job_steps WHERE job_id IN (SELECT value FROM json_each(@ids));

-- name: PurgeInteractions
DELETE FROM interactions WHERE job_id IN (SELECT value FROM json_each(@ids));

-- name: PurgeJobs
-- The ids were picked in this transaction, under the one writer lock: no recheck of the state is needed (and a
-- "state IN (...)" here would tempt SQLite into scanning jobs_finished instead of using the primary key).
DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(@ids));

-- name: LeaderTryAcquire
-- Takes the name when it is free, when its holder's time ran out, or renews it for the same holder; returns the
-- holder on success and no row otherwise.
INSERT INTO leaders (name, holder, expires_at) VALUES (@name, @holder, @now + @ttl)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE leaders.holder = excluded.holder OR leaders.expires_at < @now
RETURNING holder;

-- name: LeaderRelease
DELETE FROM leaders WHERE name = @name AND holder = @holder;

-- name: QueuesList
-- Counts per queue, each state from its own partial index, so finished jobs are never read: waiting jobs from
-- jobs_claim (which covers queue and run_at), running (and stuck: running with an expired lease) from jobs_lease,
-- awaiting input from jobs_awaiting, failed from jobs_failed; and every queue with a stored flag, even one without
-- jobs. oldest is the earliest run_at of a ready job.
SELECT c.name, sum(c.pending), sum(c.scheduled), sum(c.running), sum(c.awaiting), sum(c.failed), min(c.oldest),
       coalesce((SELECT q.paused FROM queues AS q WHERE q.name = c.name), 0), sum(c.stuck),
       (SELECT q.changed_by FROM queues AS q WHERE q.name = c.name AND q.paused), (SELECT q.updated_at FROM queues AS q WHERE q.name = c.name AND q.paused)
FROM (
    SELECT queue AS name, sum(run_at <= @now) AS pending, sum(run_at > @now) AS scheduled, 0 AS running,
           0 AS awaiting, 0 AS failed, min(CASE WHEN run_at <= @now THEN run_at END) AS oldest, 0 AS stuck
    FROM jobs WHERE state = 1 GROUP BY queue
    UNION ALL
    SELECT queue, 0, 0, count(*), 0, 0, NULL, sum(lease_expires_at < @now) FROM jobs WHERE state = 2 GROUP BY queue
    UNION ALL
    SELECT queue, 0, 0, 0, count(*), 0, NULL, 0 FROM jobs WHERE state = 3 GROUP BY queue
    UNION ALL
    SELECT queue, 0, 0, 0, 0, count(*), NULL, 0 FROM jobs WHERE state = 5 GROUP BY queue
    UNION ALL
    SELECT name, 0, 0, 0, 0, 0, NULL, 0 FROM queues
) AS c
GROUP BY c.name
ORDER BY c.name;

-- name: StatsCounts
-- Jobs by kind and reported state (0 = scheduled). @tenant null: every tenant ('' is the default tenant); @user null: anyone.
SELECT kind, CASE WHEN state = 1 AND run_at > @now THEN 0 ELSE state END AS reported, count(*)
FROM jobs
WHERE (@tenant IS NULL OR tenant = @tenant) AND (@user IS NULL OR user_id = @user)
GROUP BY kind, reported;

-- name: StatsStuck
-- Running jobs whose lease expired: a range of jobs_lease.
SELECT count(*) FROM jobs
WHERE state = 2 AND lease_expires_at < @now
  AND (@tenant IS NULL OR tenant = @tenant) AND (@user IS NULL OR user_id = @user);

-- name: StatsDurations
-- Run times (µs) of jobs that succeeded since @now - @window, from one range of jobs_finished (the repeated
-- "state IN (4, 5, 6)" lets SQLite prove the partial index applies): one row per kind, then one row with a null kind
-- for all kinds. p95 is the nearest rank: the value at rank ceil(0.95 n), written (95 n + 99) / 100 in integers.
WITH measured AS (
    SELECT kind, finished_at - started_at AS d FROM jobs
    WHERE state IN (4, 5, 6) AND state = 4 AND finished_at >= @now - @window AND started_at IS NOT NULL
      AND (@tenant IS NULL OR tenant = @tenant) AND (@user IS NULL OR user_id = @user)
),
ranked AS (
    SELECT kind, d,
           row_number() OVER (PARTITION BY kind ORDER BY d) AS kind_rank, count(*) OVER (PARTITION BY kind) AS kind_count,
           row_number() OVER (ORDER BY d) AS overall_rank, count(*) OVER () AS total
    FROM measured
)
SELECT kind, count(*), sum(d), max(CASE WHEN kind_rank = (95 * kind_count + 99) / 100 THEN d END) FROM ranked GROUP BY kind
UNION ALL
SELECT NULL, count(*), sum(d), max(CASE WHEN overall_rank = (95 * total + 99) / 100 THEN d END) FROM ranked;

-- name: EventsFeed
-- History events after @after in id order, with their job's kind, queue and owner. A purged job's events went with it.
SELECT e.id, e.job_id, e.at, e.kind, e.attempt, e.actor, e.message, j.kind, j.queue, j.tenant, j.user_id
FROM job_events AS e JOIN jobs AS j ON j.id = e.job_id
WHERE e.id > @after
ORDER BY e.id
LIMIT CAST(@limit AS INTEGER);

-- name: EventsLatestId
SELECT COALESCE(MAX(id), 0) FROM job_events;

-- name: ApiKeyInsert
-- No row changes when the id exists: the caller reports the duplicate.
INSERT INTO api_keys (id, secret_hash, name, user_id, tenant, roles, created_at, created_by)
VALUES (@id, @secret_hash, @name, @user_id, @tenant, @roles, @now, @created_by)
ON CONFLICT (id) DO NOTHING;

-- name: ApiKeyColumns
id, secret_hash, name, user_id, tenant, roles, created_at, created_by, revoked_at

-- name: ApiKeyRevoke
UPDATE api_keys SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL;

-- name: StepsList
SELECT name, result, attempt, completed_at FROM job_steps WHERE job_id = @job_id ORDER BY completed_at, rowid;

-- name: StepSave
-- Runs after AttemptTouch found the attempt's lease current. A step stored under the name keeps its result.
INSERT INTO job_steps (job_id, name, result, attempt, completed_at)
SELECT id, @name, @result, attempt, @now FROM jobs WHERE id = @job_id
ON CONFLICT (job_id, name) DO NOTHING;

-- name: SuspendEvent
-- Runs before SuspendJob, while the job still runs under the token: the event carries the attempt that asked.
INSERT INTO job_events (job_id, at, kind, attempt, actor, message)
SELECT id, @now, CASE WHEN cancel_requested = 1 THEN 8 ELSE 13 END, attempt, @actor,
       CASE WHEN cancel_requested = 1 THEN 'Cancelled: cancellation was requested while the attempt ran.' ELSE @message END
FROM jobs WHERE id = @job_id AND lease_token = @token AND state = 2;

-- name: SuspendJob
-- Awaiting input without charging the attempt, as a release does; a requested cancellation ends it cancelled instead.
UPDATE jobs SET state = CASE WHEN cancel_requested = 1 THEN 6 ELSE 3 END, attempt = attempt - 1,
                lease_expires_at = NULL, cancel_requested = 0,
                finished_at = CASE WHEN cancel_requested = 1 THEN @now END, updated_at = @now
WHERE id = @job_id AND lease_token = @token AND state = 2
RETURNING state, concurrency_key, queue;

-- name: InteractionAsk
-- One interaction per (job, key): an expired or cancelled one is asked afresh; an answered one is never touched.
INSERT INTO interactions (job_id, key, state, tenant, user_id, prompt, timeout, deadline, timeout_action, default_answer,
                          max_reasks, allowed_users, allowed_roles, asked_at)
SELECT id, @key, @state, tenant, user_id, @prompt, @timeout, @now + @timeout, @action, @default_answer,
       @max_reasks, @allowed_users, @allowed_roles, @now
FROM jobs WHERE id = @job_id
ON CONFLICT (job_id, key) DO UPDATE SET
    state = excluded.state, prompt = excluded.prompt, timeout = excluded.timeout, deadline = excluded.deadline,
    timeout_action = excluded.timeout_action, default_answer = excluded.default_answer, max_reasks = excluded.max_reasks,
    escalations = 0, allowed_users = excluded.allowed_users, allowed_roles = excluded.allowed_roles,
    asked_at = excluded.asked_at, answer = NULL, answered_at = NULL, answered_by = NULL
WHERE interactions.state <> 2;

-- name: InteractionAnswer
-- Conditional on the question still pending: of two racing answers exactly one changes the row.
UPDATE interactions SET state = 2, answer = @answer, answered_at = @now, answered_by = @actor
WHERE id = @id AND state = 1
RETURNING job_id, key;

-- name: InteractionStateFind
SELECT state FROM interactions WHERE id = @id;

-- name: JobResume
-- An answered (or default-answered) question puts its job back in its queue, due now.
UPDATE jobs SET state = 1, run_at = @now, updated_at = @now WHERE id = @job_id AND state = 3
RETURNING queue;

-- name: InteractionsExpire
-- Pending questions past their deadline, oldest deadline first, each changed once by its policy: the default answer
-- (action 1), a new deadline (action 2 with re-asks left), or expired (action 0, or 2 without re-asks left). Every
-- SET expression reads the row as it was.
UPDATE interactions SET
    state       = CASE WHEN timeout_action = 1 THEN 2 WHEN timeout_action = 2 AND escalations < max_reasks THEN 1 ELSE 3 END,
    answer      = CASE WHEN timeout_action = 1 THEN default_answer ELSE answer END,
    answered_at = CASE WHEN timeout_action = 1 THEN @now ELSE answered_at END,
    answered_by = CASE WHEN timeout_action = 1 THEN 'timeout' ELSE answered_by END,
    escalations = CASE WHEN timeout_action = 2 AND escalations < max_reasks THEN escalations + 1 ELSE escalations END,
    deadline    = CASE WHEN timeout_action = 2 AND escalations < max_reasks THEN @now + timeout ELSE deadline END
WHERE id IN (SELECT id FROM interactions WHERE state = 1 AND deadline < @now ORDER BY deadline LIMIT CAST(@limit AS INTEGER))
RETURNING id, job_id, key, state, escalations, max_reasks;

-- name: JobFailAwaiting
-- A question that expired dead-letters its job.
UPDATE jobs SET state = 5, finished_at = @now, last_error = @message, updated_at = @now
WHERE id = @job_id AND state = 3
RETURNING queue, concurrency_key;

-- name: InteractionsCancelForJob
UPDATE interactions SET state = 4 WHERE job_id = @job_id AND state = 1;

-- name: InteractionColumns
i.id, i.job_id, j.kind, i.key, i.state, i.prompt, i.answer, i.tenant, i.user_id, i.allowed_users, i.allowed_roles,
i.timeout_action, i.default_answer, i.max_reasks, i.timeout, i.escalations, i.asked_at, i.deadline, i.answered_at,
i.answered_by

-- name: ScheduleColumns
name, cron, time_zone, kind, payload, queue, priority, misfire, max_catch_up, overlap, source, paused, paused_by,
next_fire_at, last_fired_at, last_job_id, created_at, updated_at

-- name: ScheduleUpsert
-- A changed expression or zone takes the caller's next fire time; otherwise the stored one stands (a restart loses no
-- tick). The pause, its actor and created_at are kept.
INSERT INTO schedules (name, cron, time_zone, kind, payload, queue, priority, misfire, max_catch_up, overlap, source,
                       next_fire_at, created_at, updated_at)
VALUES (@name, @cron, @time_zone, @kind, @payload, @queue, @priority, @misfire, @max_catch_up, @overlap, @source,
        @next_fire_at, @now, @now)
ON CONFLICT (name) DO UPDATE SET
    next_fire_at = CASE WHEN schedules.cron = excluded.cron AND schedules.time_zone = excluded.time_zone
                        THEN schedules.next_fire_at ELSE excluded.next_fire_at END,
    cron = excluded.cron, time_zone = excluded.time_zone, kind = excluded.kind, payload = excluded.payload,
    queue = excluded.queue, priority = excluded.priority, misfire = excluded.misfire,
    max_catch_up = excluded.max_catch_up, overlap = excluded.overlap, source = excluded.source,
    updated_at = excluded.updated_at;

-- name: ScheduleSetPaused
-- A resume of a paused schedule starts from the caller's next fire time, so ticks that fell in the pause never fire.
UPDATE schedules SET
    next_fire_at = CASE WHEN @paused = 0 AND paused = 1 THEN @next_fire_at ELSE next_fire_at END,
    paused = @paused, paused_by = CASE WHEN @paused = 1 THEN @actor END, updated_at = @now
WHERE name = @name;

-- name: ScheduleDelete
DELETE FROM schedules WHERE name = @name;

-- name: SchedulesNextDue
SELECT min(next_fire_at) FROM schedules WHERE paused = 0 AND next_fire_at > @now;

-- name: ScheduleAdvance
-- The compare-and-set of a firing: applies only while the schedule still holds the next fire time the caller read.
UPDATE schedules SET next_fire_at = @next_fire_at, updated_at = @now
WHERE name = @name AND next_fire_at = @expected AND paused = 0
RETURNING last_job_id;

-- name: ScheduleJobActive
SELECT count(*) FROM jobs WHERE id = @job_id AND state IN (1, 2, 3);

-- name: ScheduleExists
SELECT count(*) FROM schedules WHERE name = @name;

-- name: ScheduleRecordJob
UPDATE schedules SET last_job_id = @job_id, last_fired_at = coalesce(@tick, last_fired_at), updated_at = @now WHERE name = @name;

-- name: JobLinkSchedule
-- Links a job a schedule inserted, and says so in its enqueued event.
UPDATE jobs SET schedule_name = @name WHERE id = @job_id;
UPDATE job_events SET message = @message WHERE job_id = @job_id AND kind = 0;

-- name: LimitStartsPurge
-- Start records older than every configured rate window; a scan, bounded by @limit, run by the retention leader.
DELETE FROM limit_starts WHERE rowid IN (SELECT rowid FROM limit_starts WHERE started_at < @before LIMIT CAST(@limit AS INTEGER));
