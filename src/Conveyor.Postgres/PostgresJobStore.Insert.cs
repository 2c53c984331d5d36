using System.Text.Json;
using Conveyor.Storage;
using Npgsql;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// A batch without idempotency keys, unique keys, bounded queues or bounded tenants is one statement. Otherwise one
    /// transaction: the bounded queues are locked (in name order), then the bounded tenants (in name order), then the
    /// unique keys (by tenant and key), the idempotency keys looked up, then the unique keys, the bounds counted, the new
    /// rows inserted with their events, and an idempotency key that a concurrent submission inserted meanwhile is looked
    /// up again.
    /// </remarks>
    public async Task<IReadOnlyList<JobInsertResult>> JobsInsertAsync(JobsInsertParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Jobs.Count == 0)
            return [];
        var plan = new InsertPlan(parameters);
        var (results, ready) = await RetryDeadlocksAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = plan.NeedsTransaction ? await connection.BeginTransactionAsync(cancellationToken) : null;
            var inserted = await InsertAsync(connection, transaction, plan, Origin, cancellationToken);
            if (transaction is not null)
                await transaction.CommitAsync(cancellationToken);
            return inserted;
        });
        PublishReady(ready);
        // Every new job wrote its enqueued event; a batch of replays wrote none.
        if (ready.Count > 0)
            Signals.PublishEventsAppended();
        return results;
    }

    /// <summary>
    /// Inserts jobs in the caller's open transaction, exactly as <see cref="JobsInsertAsync(JobsInsertParams, CancellationToken)"/>
    /// does (idempotency keys, bounds, rows and events), and neither commits nor rolls back: the jobs exist if and when
    /// the caller commits. The NOTIFY goes out with that commit, to every store instance on the schema including this
    /// one, whose own signals cannot follow a commit it does not see. A deadlock is not retried (the caller's
    /// transaction is lost with it); the caller sees the <see cref="PostgresException"/>.
    /// </summary>
    internal async Task<IReadOnlyList<JobInsertResult>> JobsInsertAsync(JobsInsertParams parameters, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = transaction.Connection
            ?? throw new InvalidOperationException("The transaction is already committed or rolled back; enqueue in an open transaction.");
        if (parameters.Jobs.Count == 0)
            return [];
        StartListening();
        var (results, _) = await InsertAsync(connection, transaction, new InsertPlan(parameters), EveryInstance, cancellationToken);
        return results;
    }

    /// <summary>What a batch needs before it touches the database: repeated keys, the keyed, the bounded queues and tenants.</summary>
    private sealed class InsertPlan
    {
        public InsertPlan(JobsInsertParams parameters)
        {
            Parameters = parameters;
            var jobs = parameters.Jobs;
            FirstOf = FirstOccurrences(jobs);
            Bounded = parameters.Bounds is { Count: > 0 } bounds
                ? jobs.Select(j => j.Queue).Where(bounds.ContainsKey).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()
                : [];
            Keyed = Enumerable.Range(0, jobs.Count).Where(i => FirstOf[i] == i && jobs[i].IdempotencyKey is not null).ToArray();
            BoundedTenants = parameters.TenantBound is { } tenantBound
                ? jobs.Select(j => j.Principal.Tenant ?? "").Distinct(StringComparer.Ordinal)
                    .Where(t => tenantBound.MaxWaitingFor(t) is not null).Order(StringComparer.Ordinal).ToArray()
                : [];
            UniqueLocks = [.. jobs.Where(j => j.UniqueKey is not null && j.UniquePeriod is not null)
                .Select(j => (Tenant: j.Principal.Tenant ?? "", Key: j.UniqueKey!)).Distinct()
                .OrderBy(u => u.Tenant, StringComparer.Ordinal).ThenBy(u => u.Key, StringComparer.Ordinal)];
        }

        public JobsInsertParams Parameters { get; }

        public int[] FirstOf { get; }

        public string[] Bounded { get; }

        public int[] Keyed { get; }

        /// <summary>The tenants of the batch that have a bound, stored form ("" for the default tenant), in name order.</summary>
        public string[] BoundedTenants { get; }

        /// <summary>The (tenant, unique key) pairs of the batch, in lock order.</summary>
        public (string Tenant, string Key)[] UniqueLocks { get; }

        /// <summary>Keys and bounds take several statements; a plain batch is one statement, atomic by itself.</summary>
        public bool NeedsTransaction => Keyed.Length > 0 || Bounded.Length > 0 || BoundedTenants.Length > 0 || UniqueLocks.Length > 0;
    }

    private async Task<(List<JobInsertResult> Results, List<(string, DateTimeOffset)> Ready)> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, InsertPlan plan, string origin, CancellationToken cancellationToken)
    {
        var jobs = plan.Parameters.Jobs;
        // A copy: unique keys add repeats to it, and a deadlock retry runs this again with the same plan.
        var firstOf = (int[])plan.FirstOf.Clone();
        var results = new JobInsertResult?[jobs.Count];
        if (plan.Bounded.Length > 0)
        {
            await using var lockQueues = Command(connection, "QueuesLock", transaction);
            lockQueues.Parameters.AddWithValue("queues", plan.Bounded);
            await lockQueues.ExecuteNonQueryAsync(cancellationToken);
        }
        if (plan.BoundedTenants.Length > 0)
        {
            await using var lockTenants = Command(connection, "TenantsLock", transaction);
            lockTenants.Parameters.AddWithValue("tenants", plan.BoundedTenants);
            await lockTenants.ExecuteNonQueryAsync(cancellationToken);
        }
        if (plan.UniqueLocks.Length > 0)
        {
            await using var lockKeys = Command(connection, "UniqueKeysLock", transaction);
            lockKeys.Parameters.AddWithValue("tenants", plan.UniqueLocks.Select(u => u.Tenant).ToArray());
            lockKeys.Parameters.AddWithValue("keys", plan.UniqueLocks.Select(u => u.Key).ToArray());
            await lockKeys.ExecuteNonQueryAsync(cancellationToken);
        }
        if (plan.Keyed.Length > 0)
            ResolveIdempotency(jobs, firstOf, results, await FindKeysAsync(connection, transaction, jobs, plan.Keyed, cancellationToken));
        if (plan.UniqueLocks.Length > 0)
            await ResolveUniqueAsync(connection, transaction, jobs, firstOf, results, cancellationToken);
        var toInsert = Enumerable.Range(0, jobs.Count).Where(i => firstOf[i] == i && results[i] is null).ToArray();
        if (plan.Bounded.Length > 0)
            await CheckBoundsAsync(connection, transaction, jobs, toInsert, plan.Parameters.Bounds!, plan.Bounded, cancellationToken);
        if (plan.BoundedTenants.Length > 0 && toInsert.Length > 0)
            await CheckTenantBoundAsync(connection, transaction, jobs, toInsert, plan.Parameters.TenantBound!, plan.BoundedTenants, cancellationToken);
        var ready = new List<(string, DateTimeOffset)>();
        var raced = new List<int>();
        if (toInsert.Length > 0)
            await InsertRowsAsync(connection, transaction, jobs, toInsert, results, ready, raced, origin, cancellationToken);
        if (raced.Count > 0)
        {
            // A concurrent submission inserted these keys after our lookup (it had not committed yet); it has now.
            var found = await FindKeysAsync(connection, transaction, jobs, [.. raced], cancellationToken);
            foreach (var i in raced)
            {
                var (id, kind, payload, state) = found[i];
                if (kind != jobs[i].Kind || payload != jobs[i].Payload)
                    throw new IdempotencyConflictException(jobs[i].IdempotencyKey!, id);
                results[i] = new JobInsertResult(id, state, true);
            }
        }
        for (var i = 0; i < jobs.Count; i++)
        {
            if (firstOf[i] != i)
                results[i] = results[firstOf[i]]! with { Existing = true };
        }
        return (results.Select(r => r!).ToList(), ready);
    }

    /// <summary>For each job, the index of the first job in the batch with the same (tenant, idempotency key); its own index otherwise.</summary>
    private static int[] FirstOccurrences(IReadOnlyList<NewJob> jobs)
    {
        var firstOf = new int[jobs.Count];
        var seen = new Dictionary<(string, string), int>();
        for (var i = 0; i < jobs.Count; i++)
        {
            firstOf[i] = i;
            if (jobs[i].IdempotencyKey is { } key && !seen.TryAdd((jobs[i].Principal.Tenant ?? "", key), i))
                firstOf[i] = seen[(jobs[i].Principal.Tenant ?? "", key)];
        }
        return firstOf;
    }

    /// <summary>Applies the idempotency rules in batch order: a repeat must match the job it repeats, an existing key must match its job.</summary>
    private static void ResolveIdempotency(IReadOnlyList<NewJob> jobs, int[] firstOf, JobInsertResult?[] results, Dictionary<int, (long Id, string Kind, string Payload, JobState State)> found)
    {
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            if (job.IdempotencyKey is not { } key)
                continue;
            if (firstOf[i] != i)
            {
                var first = jobs[firstOf[i]];
                if (first.Kind != job.Kind || first.Payload != job.Payload)
                    throw new IdempotencyConflictException(key, results[firstOf[i]]?.JobId ?? 0);
                continue;
            }
            if (!found.TryGetValue(i, out var existing))
                continue;
            if (existing.Kind != job.Kind || existing.Payload != job.Payload)
                throw new IdempotencyConflictException(key, existing.Id);
            results[i] = new JobInsertResult(existing.Id, existing.State, true);
        }
    }

    /// <summary>
    /// After idempotency (which wins): a job whose (tenant, unique key) an earlier job of the batch has repeats it
    /// (<paramref name="firstOf"/>); the first of each key takes the blocking job the store has, if any. The keys are
    /// locked, so no concurrent insert of them can commit between this lookup and the insert.
    /// </summary>
    private async Task ResolveUniqueAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<NewJob> jobs, int[] firstOf,
        JobInsertResult?[] results, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<(string, string), int>();
        var lookup = new List<int>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            if (firstOf[i] != i || results[i] is not null || job.UniqueKey is not { } key || job.UniquePeriod is null)
                continue;
            if (seen.TryGetValue((job.Principal.Tenant ?? "", key), out var first))
                firstOf[i] = first;
            else
                lookup.Add(seen[(job.Principal.Tenant ?? "", key)] = i);
        }
        if (lookup.Count == 0)
            return;
        await using var find = Command(connection, "UniqueFind", transaction);
        find.Parameters.AddWithValue("indexes", lookup.ToArray());
        find.Parameters.AddWithValue("tenants", lookup.Select(i => jobs[i].Principal.Tenant ?? "").ToArray());
        find.Parameters.AddWithValue("keys", lookup.Select(i => jobs[i].UniqueKey!).ToArray());
        find.Parameters.AddWithValue("periods", lookup.Select(i => jobs[i].UniquePeriod!.Value).ToArray());
        await using var r = await find.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            results[r.GetInt32(0)] = new JobInsertResult(r.GetInt64(1), (JobState)r.GetInt16(2), true);
    }

    private async Task<Dictionary<int, (long Id, string Kind, string Payload, JobState State)>> FindKeysAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<NewJob> jobs, int[] indexes, CancellationToken cancellationToken)
    {
        await using var find = Command(connection, "IdempotencyFind", transaction);
        find.Parameters.AddWithValue("indexes", indexes);
        find.Parameters.AddWithValue("tenants", indexes.Select(i => jobs[i].Principal.Tenant ?? "").ToArray());
        find.Parameters.AddWithValue("keys", indexes.Select(i => jobs[i].IdempotencyKey!).ToArray());
        var found = new Dictionary<int, (long, string, string, JobState)>();
        await using var r = await find.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            found[r.GetInt32(0)] = (r.GetInt64(1), r.GetString(2), r.GetString(3), (JobState)r.GetInt16(4));
        return found;
    }

    private async Task CheckBoundsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<NewJob> jobs, int[] toInsert,
        IReadOnlyDictionary<string, QueueBound> bounds, string[] bounded, CancellationToken cancellationToken)
    {
        await using var count = Command(connection, "QueuesWaitingCount", transaction);
        count.Parameters.AddWithValue("queues", bounded);
        var waiting = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var r = await count.ExecuteReaderAsync(cancellationToken))
        {
            while (await r.ReadAsync(cancellationToken))
                waiting[r.GetString(0)] = r.GetInt64(1);
        }
        foreach (var queue in bounded)
        {
            var adding = toInsert.Count(i => jobs[i].Queue == queue);
            var bound = bounds[queue];
            if (adding > 0 && waiting[queue] + adding > bound.MaxWaiting)
                throw new QueueFullException(queue, bound.MaxWaiting, bound.RetryAfter);
        }
    }

    /// <summary>Refuses the batch when a bounded tenant would have more waiting jobs than its bound; only new jobs count.</summary>
    private async Task CheckTenantBoundAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<NewJob> jobs, int[] toInsert,
        TenantBound bound, string[] tenants, CancellationToken cancellationToken)
    {
        var adding = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var i in toInsert)
        {
            var tenant = jobs[i].Principal.Tenant ?? "";
            adding[tenant] = adding.GetValueOrDefault(tenant) + 1;
        }
        var counted = tenants.Where(adding.ContainsKey).ToArray();
        if (counted.Length == 0)
            return;
        await using var count = Command(connection, "TenantsWaitingCount", transaction);
        count.Parameters.AddWithValue("tenants", counted);
        var waiting = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var r = await count.ExecuteReaderAsync(cancellationToken))
        {
            while (await r.ReadAsync(cancellationToken))
                waiting[r.GetString(0)] = r.GetInt64(1);
        }
        foreach (var tenant in counted)
        {
            var max = bound.MaxWaitingFor(tenant)!.Value;
            if (waiting[tenant] + adding[tenant] > max)
                throw new TenantFullException(tenant, max, bound.RetryAfter);
        }
    }

    private async Task InsertRowsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<NewJob> jobs, int[] toInsert,
        JobInsertResult?[] results, List<(string, DateTimeOffset)> ready, List<int> raced, string origin, CancellationToken cancellationToken)
    {
        var rows = toInsert.Select(i => jobs[i]).ToArray();
        await using var insert = Command(connection, "JobsInsert", transaction, origin);
        var p = insert.Parameters;
        p.AddWithValue("kinds", rows.Select(j => j.Kind).ToArray());
        p.AddWithValue("queues", rows.Select(j => j.Queue).ToArray());
        p.AddWithValue("priorities", rows.Select(j => (int)j.Priority).ToArray());
        p.AddWithValue("payloads", rows.Select(j => j.Payload).ToArray());
        p.AddWithValue("run_ats", rows.Select(j => j.RunAt?.ToUniversalTime()).ToArray());
        p.AddWithValue("delays", rows.Select(j => j.Delay).ToArray());
        p.AddWithValue("max_attempts", rows.Select(j => j.MaxAttempts).ToArray());
        p.AddWithValue("concurrency_keys", rows.Select(j => j.ConcurrencyKey).ToArray());
        p.AddWithValue("concurrency_limits", rows.Select(j => j.ConcurrencyLimit).ToArray());
        p.AddWithValue("tenants", rows.Select(j => j.Principal.Tenant ?? "").ToArray());
        p.AddWithValue("idempotency_keys", rows.Select(j => j.IdempotencyKey).ToArray());
        p.AddWithValue("users", rows.Select(j => j.Principal.User).ToArray());
        p.AddWithValue("roles", rows.Select(j => JsonSerializer.Serialize(j.Principal.Roles)).ToArray());
        p.AddWithValue("tags", rows.Select(j => JsonSerializer.Serialize(j.Tags)).ToArray());
        p.AddWithValue("trace_parents", rows.Select(j => j.TraceParent).ToArray());
        p.AddWithValue("unique_keys", rows.Select(j => j.UniqueKey).ToArray());
        p.AddWithValue("limit_names", rows.Select(j => j.LimitName).ToArray());
        p.AddWithValue("limit_keys", rows.Select(j => j.LimitKey).ToArray());
        await using var r = await insert.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var i = toInsert[r.GetInt32(0)];
            if (!r.GetBoolean(2))
            {
                raced.Add(i);
                continue;
            }
            var runAt = r.GetFieldValue<DateTimeOffset>(3);
            var now = r.GetFieldValue<DateTimeOffset>(4);
            results[i] = new JobInsertResult(r.GetInt64(1), runAt > now ? JobState.Scheduled : JobState.Pending, false);
            ready.Add((jobs[i].Queue, runAt > now ? runAt : now));
        }
    }
}
