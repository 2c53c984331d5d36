using Conveyor.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>The most ready jobs one limited claim looks at past throttled ones before it gives up for this call.</summary>
    internal const int LimitedScanMax = 2048;

    /// <summary>
    /// The claim under limits: one transaction (READ COMMITTED) of several statements. Candidates in claim order, chunk
    /// by chunk, each chunk taking the advisory lock of every configured limit key it meets (without waiting: a key
    /// another node is claiming now is passed over); then, with a fresh snapshot that sees every claim committed by
    /// earlier holders of those locks, the running jobs and window starts of the newly locked keys; admission in
    /// claim order with per-key counters; and one statement that updates the admitted jobs still pending, writes
    /// their started events and their start rows. The locks hold until commit, so no other claimer counts a key
    /// while this one's starts are uncommitted.
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
        if (parameters.CompleteFirst is { Count: > 0 } finished)
        {
            await using var complete = Command(connection, "JobsComplete", transaction);
            AddCompletions(complete.Parameters, finished);
            await using var r = await complete.ExecuteReaderAsync(cancellationToken);
            var done = await ReadCompletedAsync(r, cancellationToken);
            (ready, completed) = (done.Ready, done.Applied.Count);
        }

        var rooms = new Dictionary<string, LimitRoom>(StringComparer.Ordinal);
        var admitted = new List<long>();
        var rated = new HashSet<string>(StringComparer.Ordinal);
        DateTimeOffset? reopensAt = null;
        var (afterPriority, afterRunAt, afterId) = ((short)-1, DateTimeOffset.MinValue, long.MinValue);
        var scanned = 0;
        // A few more than wanted: enough when few keys are full, and the scan widens (doubling) when many are.
        var chunk = parameters.Limit + 8;
        while (admitted.Count < parameters.Limit && scanned < LimitedScanMax)
        {
            var rows = new List<(long Id, LimitDefinition? Limit, string? Key, bool Locked)>();
            await using (var candidates = Command(connection, "LimitedCandidates", transaction))
            {
                var p = candidates.Parameters;
                p.AddWithValue("queue", parameters.Queue);
                p.AddWithValue("limit", chunk);
                p.AddWithValue("limit_names", names);
                p.AddWithValue("after_priority", afterPriority);
                p.Add(new NpgsqlParameter<DateTimeOffset>("after_run_at", NpgsqlDbType.TimestampTz) { TypedValue = afterRunAt });
                p.AddWithValue("after_id", afterId);
                await using var r = await candidates.ExecuteReaderAsync(cancellationToken);
                while (await r.ReadAsync(cancellationToken))
                {
                    (afterId, afterPriority, afterRunAt) = (r.GetInt64(0), r.GetInt16(1), r.GetFieldValue<DateTimeOffset>(2));
                    // A key of a limit no longer configured is unthrottled.
                    var limit = !r.IsDBNull(3) && byName.TryGetValue(r.GetString(3), out var l) ? l : null;
                    rows.Add((afterId, limit, limit is null ? null : r.GetString(4), r.GetBoolean(5)));
                }
            }
            scanned += rows.Count;
            var fresh = rows.Where(c => c.Key is not null && c.Locked && !rooms.ContainsKey(c.Key)).Select(c => (c.Key!, c.Limit!)).DistinctBy(c => c.Item1).ToList();
            if (fresh.Count > 0)
                await LoadRoomsAsync(connection, transaction, fresh, rooms, cancellationToken);
            foreach (var (id, limit, key, locked) in rows)
            {
                if (admitted.Count == parameters.Limit)
                    break;
                if (key is null)
                {
                    admitted.Add(id);
                    continue;
                }
                if (!locked)
                    continue; // another claimer holds the key now; its jobs wait for the next claim
                var room = rooms[key];
                if (limit!.MaxRunning is { } max && room.Running >= max)
                    continue;
                if (limit.RateCount is { } count && room.Starts >= count)
                {
                    // The window reopens when its oldest start leaves it; wake the queue then, not a poll interval later.
                    var at = room.OldestStart!.Value + limit.RatePeriod!.Value;
                    reopensAt = reopensAt is null || at < reopensAt ? at : reopensAt;
                    continue;
                }
                room.Running++;
                if (limit.HasRate)
                {
                    room.Starts++;
                    room.OldestStart ??= room.Now;
                    rated.Add(key);
                }
                admitted.Add(id);
            }
            if (rows.Count < chunk)
                break;
            chunk = Math.Min(chunk * 2, LimitedScanMax);
        }

        var claimed = new List<ClaimedJob>();
        if (admitted.Count > 0)
        {
            await using var update = Command(connection, "LimitedClaimUpdate", transaction);
            update.Parameters.AddWithValue("ids", admitted.ToArray());
            update.Parameters.AddWithValue("lease", parameters.LeaseDuration);
            update.Parameters.AddWithValue("worker", parameters.WorkerId);
            update.Parameters.AddWithValue("rated_keys", rated.ToArray());
            await using var r = await update.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
                claimed.Add(ReadClaimed(r));
        }
        await transaction.CommitAsync(cancellationToken);
        if (reopensAt is { } reopens)
            ready.Add((parameters.Queue, reopens));
        return (claimed, ready, completed);
    }

    private async Task LoadRoomsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<(string Key, LimitDefinition Limit)> keys,
        Dictionary<string, LimitRoom> rooms, CancellationToken cancellationToken)
    {
        await using var counts = Command(connection, "LimitCounts", transaction);
        counts.Parameters.AddWithValue("keys", keys.Select(k => k.Key).ToArray());
        counts.Parameters.Add(new NpgsqlParameter<TimeSpan?[]>("periods", NpgsqlDbType.Array | NpgsqlDbType.Interval)
        {
            TypedValue = keys.Select(k => k.Limit.HasRate ? k.Limit.RatePeriod : null).ToArray(),
        });
        await using var r = await counts.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            rooms[r.GetString(0)] = new LimitRoom
            {
                Running = r.GetInt32(1),
                Starts = r.GetInt32(2),
                OldestStart = r.IsDBNull(3) ? null : r.GetFieldValue<DateTimeOffset>(3),
                Now = r.GetFieldValue<DateTimeOffset>(4),
            };
        }
    }

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

    /// <summary>What a locked key has used: running jobs and window starts, plus those this claim admitted.</summary>
    private sealed class LimitRoom
    {
        public int Running;
        public int Starts;
        public DateTimeOffset? OldestStart;
        public DateTimeOffset Now;
    }
}
