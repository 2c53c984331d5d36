using Conveyor.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>The most ready jobs one limited claim looks at past throttled ones before it gives up for this call.</summary>
    internal const int LimitedScanMax = 2048;

    /// <summary>
    /// The claim under limits: one transaction (READ COMMITTED), in the common case two round trips and the commit.
    /// The first carries the completions and the first chunk of candidates in claim order; reading it takes the
    /// advisory lock of every configured limit key it meets, without waiting (a key another node is claiming now is
    /// passed over). The second, LimitedClaim, runs with a fresh snapshot that sees every claim committed by earlier
    /// holders of those locks: it counts the locked keys' running jobs and window starts, admits in claim order and
    /// claims. The locks hold until commit, so no other claimer counts a key while this one's starts are
    /// uncommitted. Only when a chunk held too few admissible jobs does the next chunk follow, doubling, up to
    /// <see cref="LimitedScanMax"/> candidates.
    /// </summary>
    private async Task<(List<ClaimedJob> Claimed, List<(string, DateTimeOffset)> Ready, int Completed)> ClaimLimitedAsync(
        JobsClaimParams parameters, IReadOnlyList<LimitDefinition> limits, CancellationToken cancellationToken)
    {
        var byName = limits.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var names = limits.Select(l => l.Name).ToArray();
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        List<(string, DateTimeOffset)> ready = [];
        var completed = 0;
        var finished = parameters.CompleteFirst is { Count: > 0 } f ? f : null;
        var claimed = new List<ClaimedJob>();
        DateTimeOffset? reopensAt = null;
        var (afterPriority, afterRunAt, afterId) = ((short)-1, DateTimeOffset.MinValue, long.MinValue);
        var scanned = 0;
        // A few more than wanted: enough when few keys are full, and the scan widens (doubling) when many are.
        var chunk = parameters.Limit + 8;
        while (claimed.Count < parameters.Limit && scanned < LimitedScanMax)
        {
            var rows = new List<(long Id, LimitDefinition? Limit, string? Key)>();
            var read = 0;
            await using (var batch = new NpgsqlBatch(connection, transaction))
            {
                if (finished is not null)
                {
                    var complete = BatchCommand("JobsComplete");
                    AddCompletions(complete.Parameters, finished);
                    batch.BatchCommands.Add(complete);
                }
                var candidates = BatchCommand("LimitedCandidates");
                var p = candidates.Parameters;
                p.AddWithValue("queue", parameters.Queue);
                p.AddWithValue("limit", chunk);
                p.AddWithValue("limit_names", names);
                p.AddWithValue("after_priority", afterPriority);
                p.Add(new NpgsqlParameter<DateTimeOffset>("after_run_at", NpgsqlDbType.TimestampTz) { TypedValue = afterRunAt });
                p.AddWithValue("after_id", afterId);
                batch.BatchCommands.Add(candidates);
                await using var r = await batch.ExecuteReaderAsync(cancellationToken);
                if (finished is not null)
                {
                    var done = await ReadCompletedAsync(r, cancellationToken);
                    (ready, completed) = (done.Ready, done.Applied.Count);
                    await r.NextResultAsync(cancellationToken);
                    finished = null;
                }
                while (await r.ReadAsync(cancellationToken))
                {
                    read++;
                    (afterId, afterPriority, afterRunAt) = (r.GetInt64(0), r.GetInt16(1), r.GetFieldValue<DateTimeOffset>(2));
                    // A key of a limit no longer configured is unthrottled; a key another claimer holds now waits.
                    var limit = !r.IsDBNull(3) && byName.TryGetValue(r.GetString(3), out var l) ? l : null;
                    if (limit is null)
                        rows.Add((afterId, null, null));
                    else if (r.GetBoolean(5))
                        rows.Add((afterId, limit, r.GetString(4)));
                }
            }
            scanned += read;
            if (rows.Count > 0)
                reopensAt = Earliest(reopensAt, await AdmitAndClaimAsync(connection, transaction, parameters, rows, claimed, cancellationToken));
            if (read < chunk)
                break;
            chunk = Math.Min(chunk * 2, LimitedScanMax);
        }

        await transaction.CommitAsync(cancellationToken);
        // Each chunk's claim comes back in claim order; a second chunk's may hold earlier jobs of a higher priority.
        claimed.Sort(static (a, b) => a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority) : a.Id.CompareTo(b.Id));
        if (reopensAt is { } reopens)
            ready.Add((parameters.Queue, reopens));
        return (claimed, ready, completed);
    }

    /// <summary>Runs LimitedClaim over one chunk's admissible candidates; returns when a full rate window reopens.</summary>
    private async Task<DateTimeOffset?> AdmitAndClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, JobsClaimParams parameters,
        List<(long Id, LimitDefinition? Limit, string? Key)> rows, List<ClaimedJob> claimed, CancellationToken cancellationToken)
    {
        await using var claim = Command(connection, "LimitedClaim", transaction);
        var p = claim.Parameters;
        p.AddWithValue("ids", rows.Select(c => c.Id).ToArray());
        p.Add(new NpgsqlParameter<string?[]>("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = rows.Select(c => c.Key).ToArray() });
        p.Add(new NpgsqlParameter<int?[]>("max_running", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = rows.Select(c => c.Limit?.MaxRunning).ToArray() });
        p.Add(new NpgsqlParameter<int?[]>("rate_counts", NpgsqlDbType.Array | NpgsqlDbType.Integer)
        {
            TypedValue = rows.Select(c => c.Limit is { HasRate: true } l ? l.RateCount : null).ToArray(),
        });
        p.Add(new NpgsqlParameter<TimeSpan?[]>("periods", NpgsqlDbType.Array | NpgsqlDbType.Interval)
        {
            TypedValue = rows.Select(c => c.Limit is { HasRate: true } l ? l.RatePeriod : null).ToArray(),
        });
        p.AddWithValue("limit", parameters.Limit - claimed.Count);
        p.AddWithValue("lease", parameters.LeaseDuration);
        p.AddWithValue("worker", parameters.WorkerId);
        DateTimeOffset? reopensAt = null;
        await using var r = await claim.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            if (!r.IsDBNull(0))
                claimed.Add(ReadClaimed(r));
            if (!r.IsDBNull(15))
                reopensAt = r.GetFieldValue<DateTimeOffset>(15);
        }
        return reopensAt;
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null || a < b ? a : b;

    /// <inheritdoc />
    /// <remarks>One statement over the partial indexes of limited jobs and the start rows; finished jobs are never read.</remarks>
    public async Task<IReadOnlyList<LimitKeyStatus>> LimitsListAsync(LimitsListParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Limits.Count == 0)
            return [];
        await using var connection = await OpenAsync(cancellationToken);
        await using var list = Command(connection, "LimitsList");
        list.Parameters.AddWithValue("names", parameters.Limits.Select(l => l.Name).ToArray());
        list.Parameters.Add(new NpgsqlParameter<TimeSpan?[]>("periods", NpgsqlDbType.Array | NpgsqlDbType.Interval)
        {
            TypedValue = parameters.Limits.Select(l => l.HasRate ? l.RatePeriod : null).ToArray(),
        });
        var keys = new List<LimitKeyStatus>();
        await using var r = await list.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            keys.Add(new LimitKeyStatus(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4)));
        return keys;
    }
}
