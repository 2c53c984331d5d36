using System.Text.Json;
using Conveyor.Storage;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<JobInsertResult>> JobsInsertAsync(JobsInsertParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var jobs = parameters.Jobs;
        if (jobs.Count == 0)
            return [];
        var (results, readyAt) = await WriteAsync(now => InsertJobs(jobs, parameters.Bounds, parameters.TenantBound, now), cancellationToken);
        foreach (var (queue, at) in readyAt)
            Signals.PublishJobsReady(queue, Micros.ToInstant(at));
        return results;
    }

    /// <summary>
    /// The insert itself, inside the caller's write transaction: idempotency keys, bounds, rows and their events. Returns
    /// the results and, per queue, the earliest ready time of the new jobs (for the signal the caller raises after commit).
    /// </summary>
    private (List<JobInsertResult> Results, Dictionary<string, long> ReadyAt) InsertJobs(
        IReadOnlyList<NewJob> jobs, IReadOnlyDictionary<string, QueueBound>? bounds, TenantBound? tenantBound, long now)
    {
        var results = new JobInsertResult?[jobs.Count];
        var replayOf = ResolveIdempotency(jobs, results, now);
        replayOf = ResolveUnique(jobs, results, replayOf, now);
        CheckBounds(jobs, results, replayOf, bounds);
        CheckTenantBound(jobs, results, replayOf, tenantBound);
        var readyAt = new Dictionary<string, long>(StringComparer.Ordinal);
        var insert = Named("JobInsert");
        var enqueued = Named("EventInsert");
        for (var i = 0; i < jobs.Count; i++)
        {
            if (results[i] is not null || replayOf?[i] >= 0)
                continue;
            var job = jobs[i];
            var runAt = job.RunAt is { } at ? Micros.From(at) : now + Micros.From(job.Delay);
            var p = insert.Parameters;
            p.Clear();
            p.AddWithValue("@kind", job.Kind);
            p.AddWithValue("@queue", job.Queue);
            p.AddWithValue("@priority", (int)job.Priority);
            p.AddWithValue("@payload", job.Payload);
            p.AddWithValue("@run_at", runAt);
            p.AddWithValue("@max_attempts", job.MaxAttempts);
            p.AddWithValue("@concurrency_key", (object?)job.ConcurrencyKey ?? DBNull.Value);
            p.AddWithValue("@concurrency_limit", job.ConcurrencyLimit);
            p.AddWithValue("@tenant", job.Principal.Tenant ?? "");
            p.AddWithValue("@idempotency_key", (object?)job.IdempotencyKey ?? DBNull.Value);
            p.AddWithValue("@user_id", (object?)job.Principal.User ?? DBNull.Value);
            p.AddWithValue("@roles", JsonSerializer.Serialize(job.Principal.Roles));
            p.AddWithValue("@tags", JsonSerializer.Serialize(job.Tags));
            p.AddWithValue("@trace_parent", (object?)job.TraceParent ?? DBNull.Value);
            p.AddWithValue("@unique_key", (object?)job.UniqueKey ?? DBNull.Value);
            p.AddWithValue("@limit_name", (object?)job.LimitName ?? DBNull.Value);
            p.AddWithValue("@limit_key", (object?)job.LimitKey ?? DBNull.Value);
            p.AddWithValue("@now", now);
            var id = (long)insert.ExecuteScalar()!;
            AddEvent(enqueued, id, now, JobEventKind.Enqueued, job.Principal.User, null);
            results[i] = new JobInsertResult(id, runAt > now ? JobState.Scheduled : JobState.Pending, false);
            readyAt[job.Queue] = Math.Min(readyAt.GetValueOrDefault(job.Queue, long.MaxValue), Math.Max(runAt, now));
        }
        for (var i = 0; replayOf is not null && i < jobs.Count; i++)
        {
            if (replayOf[i] >= 0)
                results[i] = results[replayOf[i]]! with { Existing = true };
        }
        return (results.Select(r => r!).ToList(), readyAt);
    }

    /// <summary>
    /// Fills the results of jobs whose key already exists; returns, for keys repeated within the batch, the
    /// index of the entry each repeat replays (-1 elsewhere), or null when the batch repeats no key.
    /// </summary>
    private int[]? ResolveIdempotency(IReadOnlyList<NewJob> jobs, JobInsertResult?[] results, long now)
    {
        Dictionary<(string, string), int>? seen = null;
        int[]? replayOf = null;
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            if (job.IdempotencyKey is not { } key)
                continue;
            var tenant = job.Principal.Tenant ?? "";
            seen ??= [];
            if (RepeatOfEarlier(seen, (tenant, key), i, results, ref replayOf) is var first and >= 0)
            {
                // The same key twice in one batch: the later entry is a replay of the earlier one.
                if (jobs[first].Kind != job.Kind || jobs[first].Payload != job.Payload)
                    throw new IdempotencyConflictException(key, results[first]?.JobId ?? 0);
                continue;
            }
            var find = Named("IdempotencyFind");
            find.Parameters.AddWithValue("@tenant", tenant);
            find.Parameters.AddWithValue("@key", key);
            using var reader = find.ExecuteReader();
            if (!reader.Read())
                continue;
            var id = reader.GetInt64(0);
            if (reader.GetString(1) != job.Kind || reader.GetString(2) != job.Payload)
                throw new IdempotencyConflictException(key, id);
            results[i] = new JobInsertResult(id, ReportedState(reader.GetInt32(3), reader.GetInt64(4), now), true);
        }
        return replayOf;
    }

    /// <summary>
    /// Records job <paramref name="i"/> as the first of the batch under <paramref name="id"/> and returns -1; or, when an
    /// earlier job has the same (tenant, key), makes <paramref name="i"/> repeat it (its result when known, else through
    /// <paramref name="replayOf"/>, made when first needed) and returns the earlier index.
    /// </summary>
    private static int RepeatOfEarlier(Dictionary<(string, string), int> seen, (string, string) id, int i, JobInsertResult?[] results, ref int[]? replayOf)
    {
        if (!seen.TryGetValue(id, out var first))
        {
            seen[id] = i;
            return -1;
        }
        if (results[first] is { } earlier)
        {
            results[i] = earlier with { Existing = true };
        }
        else
        {
            replayOf ??= Enumerable.Repeat(-1, results.Length).ToArray();
            replayOf[i] = first;
        }
        return first;
    }

    /// <summary>
    /// After idempotency (which wins): fills the results of jobs whose unique key matches a blocking job of their tenant,
    /// and points a later job of the batch with the same tenant and unique key at the earlier one it repeats. Returns
    /// the replay map, made when first needed.
    /// </summary>
    private int[]? ResolveUnique(IReadOnlyList<NewJob> jobs, JobInsertResult?[] results, int[]? replayOf, long now)
    {
        Dictionary<(string, string), int>? seen = null;
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            if (job.UniqueKey is not { } key || job.UniquePeriod is not { } period || results[i] is not null || replayOf?[i] >= 0)
                continue;
            seen ??= [];
            var tenant = job.Principal.Tenant ?? "";
            if (RepeatOfEarlier(seen, (tenant, key), i, results, ref replayOf) >= 0)
                continue;
            var find = Named("UniqueFind");
            find.Parameters.AddWithValue("@tenant", tenant);
            find.Parameters.AddWithValue("@key", key);
            find.Parameters.AddWithValue("@period", Micros.From(period));
            find.Parameters.AddWithValue("@now", now);
            using var reader = find.ExecuteReader();
            if (reader.Read())
                results[i] = new JobInsertResult(reader.GetInt64(0), ReportedState(reader.GetInt32(1), reader.GetInt64(2), now), true);
        }
        return replayOf;
    }

    private void CheckBounds(IReadOnlyList<NewJob> jobs, JobInsertResult?[] results, int[]? replayOf, IReadOnlyDictionary<string, QueueBound>? bounds)
    {
        if (bounds is null || bounds.Count == 0)
            return;
        var adding = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < jobs.Count; i++)
        {
            if (results[i] is null && !(replayOf?[i] >= 0) && bounds.ContainsKey(jobs[i].Queue))
                adding[jobs[i].Queue] = adding.GetValueOrDefault(jobs[i].Queue) + 1;
        }
        foreach (var (queue, count) in adding)
        {
            var bound = bounds[queue];
            var waiting = Named("QueueWaitingCount");
            waiting.Parameters.AddWithValue("@queue", queue);
            if ((long)waiting.ExecuteScalar()! + count > bound.MaxWaiting)
                throw new QueueFullException(queue, bound.MaxWaiting, bound.RetryAfter);
        }
    }

    /// <summary>
    /// Refuses the batch when a bounded tenant would have more waiting jobs than its bound; counts nothing without a
    /// tenant bound. Only new jobs count (not those matched by idempotency key).
    /// </summary>
    private void CheckTenantBound(IReadOnlyList<NewJob> jobs, JobInsertResult?[] results, int[]? replayOf, TenantBound? bound)
    {
        if (bound is null)
            return;
        Dictionary<string, int>? adding = null;
        for (var i = 0; i < jobs.Count; i++)
        {
            if (results[i] is not null || replayOf?[i] >= 0)
                continue;
            var tenant = jobs[i].Principal.Tenant ?? "";
            if (bound.MaxWaitingFor(tenant) is null)
                continue;
            adding ??= new Dictionary<string, int>(StringComparer.Ordinal);
            adding[tenant] = adding.GetValueOrDefault(tenant) + 1;
        }
        foreach (var (tenant, count) in adding ?? [])
        {
            var max = bound.MaxWaitingFor(tenant)!.Value;
            var waiting = Named("TenantWaitingCount");
            waiting.Parameters.AddWithValue("@tenant", tenant);
            if ((long)waiting.ExecuteScalar()! + count > max)
                throw new TenantFullException(tenant, max, bound.RetryAfter);
        }
    }

    private void AddEvent(Microsoft.Data.Sqlite.SqliteCommand command, long jobId, long now, JobEventKind kind, string? actor, string? message)
    {
        command.Parameters.Clear();
        command.Parameters.AddWithValue("@job_id", jobId);
        command.Parameters.AddWithValue("@now", now);
        command.Parameters.AddWithValue("@kind", (int)kind);
        command.Parameters.AddWithValue("@actor", (object?)actor ?? DBNull.Value);
        command.Parameters.AddWithValue("@message", (object?)message ?? DBNull.Value);
        _eventsAppended |= command.ExecuteNonQuery() > 0;
    }

    /// <summary>The state a reader sees: a waiting job whose due time is still ahead is scheduled.</summary>
    private static JobState ReportedState(int stored, long runAt, long now) =>
        stored == (int)JobState.Pending && runAt > now ? JobState.Scheduled : (JobState)stored;
}
