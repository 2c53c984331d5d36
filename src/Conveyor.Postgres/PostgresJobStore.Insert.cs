using System.Text.Json;
using Conveyor.Storage;
using Npgsql;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// A batch without idempotency keys or bounded queues is one statement. Otherwise one transaction: the
    /// bounded queues are locked (in name order), the keys looked up, the bounds counted, the new rows inserted
    /// with their events, and a key that a concurrent submission inserted meanwhile is looked up again.
    /// </remarks>
    public async Task<IReadOnlyList<JobInsertResult>> JobsInsertAsync(JobsInsertParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var jobs = parameters.Jobs;
        if (jobs.Count == 0)
            return [];
        var firstOf = FirstOccurrences(jobs);
        var bounded = parameters.Bounds is { Count: > 0 } bounds
            ? jobs.Select(j => j.Queue).Where(bounds.ContainsKey).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()
            : [];
        var keyed = Enumerable.Range(0, jobs.Count).Where(i => firstOf[i] == i && jobs[i].IdempotencyKey is not null).ToArray();

        var (results, ready) = await RetryDeadlocksAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = keyed.Length > 0 || bounded.Length > 0 ? await connection.BeginTransactionAsync(cancellationToken) : null;
            var results = new JobInsertResult?[jobs.Count];
            if (bounded.Length > 0)
            {
                await using var lockQueues = Command(connection, "QueuesLock", transaction);
                lockQueues.Parameters.AddWithValue("queues", bounded);
                await lockQueues.ExecuteNonQueryAsync(cancellationToken);
            }
            if (keyed.Length > 0)
                ResolveIdempotency(jobs, firstOf, results, await FindKeysAsync(connection, transaction, jobs, keyed, cancellationToken));
            var toInsert = Enumerable.Range(0, jobs.Count).Where(i => firstOf[i] == i && results[i] is null).ToArray();
            if (bounded.Length > 0)
                await CheckBoundsAsync(connection, transaction, jobs, toInsert, parameters.Bounds!, bounded, cancellationToken);
            var ready = new List<(string, DateTimeOffset)>();
            var raced = new List<int>();
            if (toInsert.Length > 0)
                await InsertRowsAsync(connection, transaction, jobs, toInsert, results, ready, raced, cancellationToken);
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
            if (transaction is not null)
                await transaction.CommitAsync(cancellationToken);
            for (var i = 0; i < jobs.Count; i++)
            {
                if (firstOf[i] != i)
                    results[i] = results[firstOf[i]]! with { Existing = true };
            }
            return (results.Select(r => r!).ToList(), ready);
        });
        PublishReady(ready);
        return results;
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

    private async Task InsertRowsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<NewJob> jobs, int[] toInsert,
        JobInsertResult?[] results, List<(string, DateTimeOffset)> ready, List<int> raced, CancellationToken cancellationToken)
    {
        var rows = toInsert.Select(i => jobs[i]).ToArray();
        await using var insert = Command(connection, "JobsInsert", transaction);
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
