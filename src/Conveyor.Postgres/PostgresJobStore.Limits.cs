using Conveyor.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>The most ready jobs one limited claim looks at past throttled ones before it gives up for this call.</summary>
    internal const int LimitedScanMax = 2048;

    /// <summary>
    /// The claim under limits, in rounds of one transaction (READ COMMITTED) and two round trips each. The first
    /// carries BEGIN, the completions (first round only) and a chunk of candidates in claim order; reading it takes the
    /// advisory lock of every configured limit key it meets, without waiting (a key another node is claiming now is
    /// passed over). The second carries LimitedClaim and COMMIT: with a fresh snapshot that sees every claim committed
    /// by earlier holders of those locks, it counts the locked keys' running jobs and window starts, admits in claim
    /// order and claims. The locks hold until commit, so no other claimer counts a key while this one's starts are
    /// uncommitted. While the claim has fewer jobs than wanted and the chunk was full, another round follows over the
    /// next chunk (doubling, up to <see cref="LimitedScanMax"/> candidates), so the jobs of full keys at the head of the
    /// queue do not starve those behind them. Each round is retried alone on a deadlock; when a later round fails
    /// otherwise, what earlier rounds committed is returned (completions applied, jobs that hold leases already) and
    /// the error meets the next claim.
    /// </summary>
    private async Task<(List<ClaimedJob> Claimed, List<(string, DateTimeOffset)> Ready, int Completed)> ClaimLimitedAsync(
        JobsClaimParams parameters, IReadOnlyList<LimitDefinition> limits, CancellationToken cancellationToken)
    {
        var progress = new LimitedClaimProgress(parameters, limits.ToDictionary(l => l.Name, StringComparer.Ordinal), limits.Select(l => l.Name).ToArray());
        await using var connection = await OpenAsync(cancellationToken);
        var complete = parameters.CompleteFirst is { Count: > 0 } f ? f : null;
        List<(string, DateTimeOffset)> ready = [];
        var completed = 0;
        var scanned = 0;
        // Two more than wanted: each candidate costs a lock and a count, and when more keys than that are full the
        // next round reads a chunk twice the size (drain_throttled: wanted + 8 kept 0.66-0.72 of the plain drain,
        // wanted + 2 0.63-0.75, median 0.68 against 0.72, in paired runs; bench/README.md).
        var chunk = parameters.Limit + 2;
        while (true)
        {
            int read;
            try
            {
                read = await RetryDeadlocksAsync(() => ClaimLimitedRoundAsync(connection, progress, complete, chunk, cancellationToken));
            }
            catch (Exception) when (scanned > 0)
            {
                // An earlier round committed (its completions, maybe jobs that hold leases now): return what it did.
                break;
            }
            if (complete is not null)
                (ready, completed, complete) = (progress.Ready, progress.Completed, null);
            scanned += read;
            if (progress.Claimed.Count == parameters.Limit || read < chunk || scanned >= LimitedScanMax)
                break;
            chunk = Math.Min(chunk * 2, LimitedScanMax);
        }
        if (progress.ReopensAt is { } reopens)
            ready.Add((parameters.Queue, reopens));
        // A later round's jobs may hold an earlier priority than an earlier round's; claims come back in claim order.
        progress.Claimed.Sort(static (a, b) => a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority) : a.Id.CompareTo(b.Id));
        return (progress.Claimed, ready, completed);
    }

    /// <summary>One round of the limited claim (see <see cref="ClaimLimitedAsync"/>); returns how many candidates it read.</summary>
    private async Task<int> ClaimLimitedRoundAsync(NpgsqlConnection connection, LimitedClaimProgress progress, IReadOnlyList<JobCompletion>? complete, int chunk,
        CancellationToken cancellationToken)
    {
        var parameters = progress.Parameters;
        var (afterPriority, afterRunAt, afterId) = progress.After;
        var rows = new List<(long Id, LimitDefinition? Limit, string? Key)>();
        var read = 0;
        try
        {
            await using (var batch = new NpgsqlBatch(connection))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
                if (complete is not null)
                {
                    var completion = BatchCommand("JobsComplete");
                    AddCompletions(completion.Parameters, complete);
                    batch.BatchCommands.Add(completion);
                }
                var candidates = BatchCommand("LimitedCandidates");
                var p = candidates.Parameters;
                p.AddWithValue("queue", parameters.Queue);
                p.AddWithValue("limit", chunk);
                p.AddWithValue("limit_names", progress.Names);
                p.AddWithValue("after_priority", afterPriority);
                p.Add(new NpgsqlParameter<DateTimeOffset>("after_run_at", NpgsqlDbType.TimestampTz) { TypedValue = afterRunAt });
                p.AddWithValue("after_id", afterId);
                batch.BatchCommands.Add(candidates);
                await using var r = await batch.ExecuteReaderAsync(cancellationToken);
                if (complete is not null)
                {
                    var done = await ReadCompletedAsync(r, cancellationToken);
                    (progress.Ready, progress.Completed) = (done.Ready, done.Applied.Count);
                    await r.NextResultAsync(cancellationToken);
                }
                while (await r.ReadAsync(cancellationToken))
                {
                    read++;
                    (afterId, afterPriority, afterRunAt) = (r.GetInt64(0), r.GetInt16(1), r.GetFieldValue<DateTimeOffset>(2));
                    // A key of a limit no longer configured is unthrottled; a key another claimer holds now waits.
                    var limit = !r.IsDBNull(3) && progress.ByName.TryGetValue(r.GetString(3), out var l) ? l : null;
                    if (limit is null)
                        rows.Add((afterId, null, null));
                    else if (r.GetBoolean(5))
                        rows.Add((afterId, limit, r.GetString(4)));
                }
            }
            if (rows.Count > 0)
            {
                var claim = BatchCommand("LimitedClaim");
                AddLimitedClaimParameters(claim.Parameters, parameters, progress.Claimed.Count, rows);
                await using var batch = new NpgsqlBatch(connection);
                batch.BatchCommands.Add(claim);
                batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
                var claimed = new List<ClaimedJob>();
                DateTimeOffset? reopensAt = null;
                await using (var r = await batch.ExecuteReaderAsync(cancellationToken))
                {
                    while (await r.ReadAsync(cancellationToken))
                    {
                        if (!r.IsDBNull(0))
                            claimed.Add(ReadClaimed(r));
                        if (!r.IsDBNull(15))
                            reopensAt = r.GetFieldValue<DateTimeOffset>(15);
                    }
                }
                // Committed: the reader has consumed COMMIT's result too.
                progress.Claimed.AddRange(claimed);
                progress.ReopensAt = Earliest(progress.ReopensAt, reopensAt);
            }
            else
            {
                await using var commit = new NpgsqlCommand("COMMIT", connection);
                await commit.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        catch
        {
            // The transaction was opened by a statement, not by an NpgsqlTransaction: end it here, so that neither a retry
            // nor the next user of this pooled connection runs inside it.
            await RollbackQuietlyAsync(connection);
            throw;
        }
        progress.After = (afterPriority, afterRunAt, afterId);
        return read;
    }

    private static async Task RollbackQuietlyAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // A broken connection holds no transaction; the pool discards it.
        }
    }

    private static void AddLimitedClaimParameters(NpgsqlParameterCollection p, JobsClaimParams parameters, int claimedSoFar,
        List<(long Id, LimitDefinition? Limit, string? Key)> rows)
    {
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
        p.AddWithValue("limit", parameters.Limit - claimedSoFar);
        p.AddWithValue("lease", parameters.LeaseDuration);
        p.AddWithValue("worker", parameters.WorkerId);
    }

    /// <summary>What the rounds of one limited claim share: its parameters, where the scan stands, and what it got.</summary>
    private sealed class LimitedClaimProgress(JobsClaimParams parameters, Dictionary<string, LimitDefinition> byName, string[] names)
    {
        public JobsClaimParams Parameters { get; } = parameters;
        public Dictionary<string, LimitDefinition> ByName { get; } = byName;
        public string[] Names { get; } = names;
        public (short Priority, DateTimeOffset RunAt, long Id) After { get; set; } = (-1, DateTimeOffset.MinValue, long.MinValue);
        public List<ClaimedJob> Claimed { get; } = [];
        public DateTimeOffset? ReopensAt { get; set; }
        public List<(string, DateTimeOffset)> Ready { get; set; } = [];
        public int Completed { get; set; }
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
