-- Version 10: the limited claim as one function, so that a claim under limits costs one round trip like the plain
-- claim (it took two: the candidates and their advisory locks, then the admission with a snapshot taken after them).
-- Inside a VOLATILE plpgsql function each statement takes a new snapshot (READ COMMITTED), so the admission statement,
-- which runs after the candidate statement took the locks, sees every claim of those keys committed by the previous
-- holders: the same guarantee, in one call. Its clock (p_now, a test clock, or clock_timestamp()) is read after the
-- locks too.
--
-- Rounds: while fewer jobs than wanted were claimed and the chunk of candidates read was full, the next chunk (twice
-- the size, up to p_scan_max candidates in all) is read after the last, so that the jobs of full keys at the head of
-- the queue do not starve those behind them. All rounds are one transaction; the locks hold until it ends.
--
-- Per round: candidates in claim order with the plain claim's queue, pause and concurrency-key rules, read without row
-- locks; each job of a configured limit (p_names) takes its key's transaction-scoped advisory lock without waiting, and
-- a key another claimer holds now is passed over. Then admission and claim in one statement: a candidate is admitted
-- while its rank among its key's candidates fits the key's room (most running minus running jobs, rate count minus
-- starts inside the window), the first admitted are claimed (re-checked as pending: a candidate was read without a row
-- lock; "state + 0 = 1" keeps the planner from answering that from jobs_claim, whose predicate is state = 1), each
-- gets its Started event, and rate-limited keys a start row per claimed job.
--
-- Starts are not pruned here: with a test clock read before the locks, a claimer with a later clock could delete
-- starts that a claimer with an earlier one still had to count. Without pruning every admission counts all starts
-- after its window's beginning, a superset of what any later window holds; the retention leader deletes the starts no
-- window reaches (LimitStartsPurge), and a count reads only its window's range of limit_starts_key.
--
-- Rows: the claimed jobs (the plain claim's columns, reopens_at null), and per round one row without a job whose
-- reopens_at is the instant the earliest full rate window met frees a start (null if none). RETURN QUERY rather than
-- a loop over the rows: assigning a row's sixteen columns one by one cost more than the two statements' own work.
CREATE FUNCTION {schema}.limited_claim(
    p_queue text, p_want integer, p_worker text, p_lease interval, p_now timestamptz,
    p_names text[], p_max_running integer[], p_rate_counts integer[], p_periods interval[],
    p_first_chunk integer, p_scan_max integer)
RETURNS TABLE (
    o_id bigint, o_kind text, o_queue text, o_priority smallint, o_payload text, o_attempt integer,
    o_max_attempts integer, o_lease_token bigint, o_lease_expires_at timestamptz, o_concurrency_key text,
    o_tenant text, o_user_id text, o_roles text[], o_created_at timestamptz, o_trace_parent text,
    o_reopens_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_after_priority smallint := -1;
    v_after_run_at timestamptz := '-infinity';
    v_after_id bigint := -9223372036854775808;
    v_chunk integer := p_first_chunk;
    v_scanned integer := 0;
    v_claimed integer := 0;
    v_read integer;
    v_due timestamptz;
    v_now timestamptz;
    v_ids bigint[];
    v_keys text[];
    v_max_running integer[];
    v_rate_counts integer[];
    v_periods interval[];
    v_rows integer;
BEGIN
    LOOP
        v_due := coalesce(p_now, clock_timestamp());
        WITH c AS MATERIALIZED (
            SELECT j.id, j.priority, j.run_at, array_position(p_names, j.limit_name) AS l, j.limit_key,
                   CASE WHEN j.limit_name = ANY(p_names)
                        THEN pg_try_advisory_xact_lock(hashtextextended('conveyor:{schema_name}:limit:' || j.limit_key, 0))
                        ELSE true END AS locked
            FROM {schema}.jobs AS j
            WHERE j.state = 1 AND j.queue = p_queue AND j.run_at <= v_due
              AND (j.priority, j.run_at, j.id) > (v_after_priority, v_after_run_at, v_after_id)
              AND NOT EXISTS (SELECT 1 FROM {schema}.queues AS q WHERE q.name = p_queue AND q.paused)
              AND {concurrency_key_rule}
            ORDER BY j.priority, j.run_at, j.id
            LIMIT v_chunk
        )
        SELECT count(*)::integer,
               array_agg(c.id ORDER BY c.priority, c.run_at, c.id) FILTER (WHERE c.locked),
               array_agg(CASE WHEN c.l IS NOT NULL THEN c.limit_key END ORDER BY c.priority, c.run_at, c.id) FILTER (WHERE c.locked),
               array_agg(p_max_running[c.l] ORDER BY c.priority, c.run_at, c.id) FILTER (WHERE c.locked),
               array_agg(p_rate_counts[c.l] ORDER BY c.priority, c.run_at, c.id) FILTER (WHERE c.locked),
               array_agg(p_periods[c.l] ORDER BY c.priority, c.run_at, c.id) FILTER (WHERE c.locked),
               (array_agg(c.priority ORDER BY c.priority DESC, c.run_at DESC, c.id DESC))[1],
               (array_agg(c.run_at ORDER BY c.priority DESC, c.run_at DESC, c.id DESC))[1],
               (array_agg(c.id ORDER BY c.priority DESC, c.run_at DESC, c.id DESC))[1]
        INTO v_read, v_ids, v_keys, v_max_running, v_rate_counts, v_periods, v_after_priority, v_after_run_at, v_after_id
        FROM c;
        v_scanned := v_scanned + v_read;

        IF v_ids IS NOT NULL THEN
            v_now := coalesce(p_now, clock_timestamp());
            RETURN QUERY
                WITH c AS MATERIALIZED (
                    SELECT c.*, row_number() OVER (PARTITION BY c.key ORDER BY c.ord) AS rank
                    FROM unnest(v_ids, v_keys, v_max_running, v_rate_counts, v_periods)
                         WITH ORDINALITY AS c(id, key, max_running, rate_count, period, ord)
                ),
                k AS MATERIALIZED (
                    -- A key's candidates all carry its limit's numbers.
                    SELECT c.key, min(c.max_running) AS max_running, min(c.rate_count) AS rate_count, min(c.period) AS period,
                           count(*) AS candidates
                    FROM c WHERE c.key IS NOT NULL GROUP BY c.key
                ),
                room AS MATERIALIZED (
                    -- Each count only where its limit has that number (a null number leaves the room unbounded).
                    SELECT k.key, k.period, k.candidates,
                           CASE WHEN k.max_running IS NOT NULL THEN
                               k.max_running - (SELECT count(*) FROM {schema}.jobs AS j
                                                WHERE j.limit_key = k.key AND j.state = 2 AND j.limit_key IS NOT NULL) END AS running_room,
                           CASE WHEN k.period IS NOT NULL THEN
                               k.rate_count - (SELECT count(*) FROM {schema}.limit_starts AS s
                                               WHERE s.limit_key = k.key AND s.started_at > v_now - k.period) END AS rate_room,
                           CASE WHEN k.period IS NOT NULL THEN
                               (SELECT min(s.started_at) FROM {schema}.limit_starts AS s
                                WHERE s.limit_key = k.key AND s.started_at > v_now - k.period) END AS oldest_start
                    FROM k
                ),
                admitted AS (
                    SELECT c.id FROM c LEFT JOIN room AS rm ON rm.key = c.key
                    WHERE c.key IS NULL OR (c.rank <= coalesce(rm.running_room, c.rank) AND c.rank <= coalesce(rm.rate_room, c.rank))
                    ORDER BY c.ord
                    LIMIT p_want - v_claimed
                ),
                claimed AS (
                    UPDATE {schema}.jobs AS j SET
                        state = 2, attempt = j.attempt + 1, lease_token = j.lease_token + 1, lease_expires_at = v_now + p_lease,
                        worker_id = p_worker, cancel_requested = false, started_at = v_now, updated_at = v_now
                    WHERE j.id = ANY(ARRAY(SELECT a.id FROM admitted AS a)) AND j.state + 0 = 1
                    RETURNING j.id, j.kind, j.queue, j.priority, j.payload, j.attempt, j.max_attempts, j.lease_token,
                              j.lease_expires_at, j.concurrency_key, j.tenant, j.user_id, j.roles, j.created_at, j.trace_parent,
                              j.limit_key
                ),
                started AS (
                    INSERT INTO {schema}.job_events (job_id, at, kind, attempt, actor)
                    SELECT cl.id, v_now, 1, cl.attempt, p_worker FROM claimed AS cl ORDER BY cl.id
                ),
                starts AS (
                    INSERT INTO {schema}.limit_starts (limit_key, started_at)
                    SELECT cl.limit_key, v_now FROM claimed AS cl JOIN room AS rm ON rm.key = cl.limit_key WHERE rm.period IS NOT NULL
                ),
                reopens AS (
                    -- A key whose candidates outnumber its window's room passed some over for its rate.
                    SELECT min(coalesce(rm.oldest_start, v_now) + rm.period) AS at FROM room AS rm WHERE rm.rate_room < rm.candidates
                )
                -- The claimed jobs, then one row without a job that carries the round's reopens_at (often null).
                SELECT cl.id, cl.kind, cl.queue, cl.priority, cl.payload, cl.attempt, cl.max_attempts, cl.lease_token,
                       cl.lease_expires_at, cl.concurrency_key, cl.tenant, cl.user_id, cl.roles, cl.created_at, cl.trace_parent,
                       NULL::timestamptz
                FROM claimed AS cl
                UNION ALL
                SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, reopens.at
                FROM reopens;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            v_claimed := v_claimed + v_rows - 1;
        END IF;

        EXIT WHEN v_claimed >= p_want OR v_read < v_chunk OR v_scanned >= p_scan_max;
        v_chunk := least(v_chunk * 2, p_scan_max - v_scanned);
    END LOOP;

END
$fn$;
