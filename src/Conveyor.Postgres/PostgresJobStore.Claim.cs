using Conveyor.Storage;
using Npgsql;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One statement: choose and lock with SKIP LOCKED, update, and write the started events; under limits, one call of
    /// the function limited_claim (see <see cref="LimitedClaimCommand"/>). With <see cref="JobsClaimParams.CompleteFirst"/>,
    /// the completion statement and the claim travel together in one batch: one round trip and one transaction, in
    /// which the claim (a later statement, with a later snapshot) sees the keys the completions freed.
    /// </remarks>
    public async Task<IReadOnlyList<ClaimedJob>> JobsClaimAsync(JobsClaimParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.Limit, 1);
        var finished = parameters.CompleteFirst is { Count: > 0 } f ? f : null;
        var limits = parameters.Limits is { Count: > 0 } l ? l : null;
        var (claimed, ready, completed) = await RetryDeadlocksAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection);
            if (finished is not null)
            {
                batch.BatchCommands.Add(CompletionCommand(finished));
            }
            batch.BatchCommands.Add(limits is null ? ClaimCommand(parameters) : LimitedClaimCommand(parameters, limits));

            await using var r = await batch.ExecuteReaderAsync(cancellationToken);
            List<(string, DateTimeOffset)> ready = [];
            var completed = 0;
            if (finished is not null)
            {
                var done = await ReadCompletedAsync(r, cancellationToken);
                (ready, completed) = (done.Ready, done.Applied.Count);
                await r.NextResultAsync(cancellationToken);
            }
            var claimed = new List<ClaimedJob>();
            while (await r.ReadAsync(cancellationToken))
            {
                if (!r.IsDBNull(0))
                    claimed.Add(ReadClaimed(r));
                else if (!r.IsDBNull(LimitedClaimReopensColumn))
                    ready.Add((parameters.Queue, r.GetFieldValue<DateTimeOffset>(LimitedClaimReopensColumn))); // a rate window reopens then
            }
            // A later round of a limited claim may claim an earlier priority than an earlier round; claims come back in claim order.
            if (limits is not null)
                claimed.Sort(static (a, b) => a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority) : a.Id.CompareTo(b.Id));
            return (claimed, ready, completed);
        });
        // After the commit, as JobsCompleteAsync does: a completion that made a job ready again (a retry) wakes its queue.
        PublishReady(ready);
        if (claimed.Count > 0 || completed > 0)
            Signals.PublishEventsAppended();
        return claimed;
    }

    private NpgsqlBatchCommand ClaimCommand(JobsClaimParams parameters)
    {
        var claim = BatchCommand("JobsClaim");
        AddClaimParameters(claim.Parameters, parameters);
        return claim;
    }

    /// <summary>What every claim statement (JobsClaim, LimitedClaim) takes: the queue, how many, the worker and the lease.</summary>
    private static void AddClaimParameters(NpgsqlParameterCollection p, JobsClaimParams parameters)
    {
        p.AddWithValue("queue", parameters.Queue);
        p.AddWithValue("limit", parameters.Limit);
        p.AddWithValue("worker", parameters.WorkerId);
        p.AddWithValue("lease", parameters.LeaseDuration);
    }

    /// <inheritdoc />
    public async Task<JobsHeartbeatResult> JobsHeartbeatAsync(JobsHeartbeatParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Leases.Count == 0)
            return new JobsHeartbeatResult([], []);
        var held = await RetryDeadlocksAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var beat = Command(connection, "JobsHeartbeat");
            beat.Parameters.AddWithValue("lease", parameters.LeaseDuration);
            // In id order, the order the statement locks the rows in (see CompletionCommand).
            var leases = parameters.Leases.DistinctBy(l => l.JobId).OrderBy(l => l.JobId).ToArray();
            beat.Parameters.AddWithValue("ids", leases.Select(l => l.JobId).ToArray());
            beat.Parameters.AddWithValue("tokens", leases.Select(l => l.LeaseToken).ToArray());
            var held = new Dictionary<long, bool>();
            await using var r = await beat.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
                held[r.GetInt64(0)] = r.GetBoolean(1);
            return held;
        });
        return new JobsHeartbeatResult(
            parameters.Leases.Select(l => l.JobId).Where(id => !held.ContainsKey(id)).ToList(),
            held.Where(h => h.Value).Select(h => h.Key).ToList());
    }

    /// <inheritdoc />
    public async Task<bool> JobProgressSetAsync(JobProgressSetParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var progress = parameters.Progress;
        var text = string.Join(" · ", new[] { progress.Percent is { } p ? $"{p:0.#}%" : null, progress.Phase, progress.Message }.Where(s => s is not null));
        await using var connection = await OpenAsync(cancellationToken);
        await using var set = Command(connection, "ProgressSet");
        set.Parameters.Add(new NpgsqlParameter<double?>("percent", NpgsqlTypes.NpgsqlDbType.Double) { TypedValue = progress.Percent });
        set.Parameters.AddWithValue("keep_percent", parameters.KeepPercent);
        set.Parameters.Add(Text("phase", progress.Phase));
        set.Parameters.Add(Text("message", progress.Message));
        set.Parameters.Add(Text("text", text));
        set.Parameters.AddWithValue("job_id", parameters.Lease.JobId);
        set.Parameters.AddWithValue("token", parameters.Lease.LeaseToken);
        return EventsAppendedIf((long)(await set.ExecuteScalarAsync(cancellationToken))! == 1);
    }

    /// <inheritdoc />
    public async Task<bool> JobLogAppendAsync(JobLogAppendParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = await OpenAsync(cancellationToken);
        await using var log = Command(connection, "LogAppend");
        log.Parameters.Add(Text("message", parameters.Message));
        log.Parameters.AddWithValue("job_id", parameters.Lease.JobId);
        log.Parameters.AddWithValue("token", parameters.Lease.LeaseToken);
        return EventsAppendedIf((long)(await log.ExecuteScalarAsync(cancellationToken))! == 1);
    }

    /// <summary>One row of a claim's result (JobsClaim and LimitedClaim return the same first columns).</summary>
    private static ClaimedJob ReadClaimed(NpgsqlDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Kind = r.GetString(1),
        Queue = r.GetString(2),
        Priority = (JobPriority)r.GetInt16(3),
        Payload = r.GetString(4),
        Attempt = r.GetInt32(5),
        MaxAttempts = r.GetInt32(6),
        LeaseToken = r.GetInt64(7),
        LeaseExpiresAt = r.GetFieldValue<DateTimeOffset>(8),
        ConcurrencyKey = r.IsDBNull(9) ? null : r.GetString(9),
        Principal = Principal(r, 10),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(13),
        TraceParent = r.IsDBNull(14) ? null : r.GetString(14),
    };

    /// <summary>A text parameter that may be null.</summary>
    private static NpgsqlParameter Text(string name, string? value) =>
        new NpgsqlParameter<string?>(name, NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = value };

    private static JobPrincipal Principal(NpgsqlDataReader r, int tenantColumn)
    {
        var tenant = r.GetString(tenantColumn);
        return new JobPrincipal(
            r.IsDBNull(tenantColumn + 1) ? null : r.GetString(tenantColumn + 1),
            tenant.Length == 0 ? null : tenant,
            r.GetFieldValue<string[]>(tenantColumn + 2));
    }
}
