using System.Globalization;
using Conveyor.Storage;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <summary>The most ready jobs one limited claim looks at past throttled ones before it gives up for this call.</summary>
    internal const int LimitedScanMax = 2048;

    /// <summary>The claim's candidates after a keyset, with their limit keys: the fast path's rules, read in chunks.</summary>
    internal static readonly string LimitedCandidatesSql =
        "WITH ready AS (" +
        string.Join("\nUNION ALL\n", Enumerable.Range(0, 4).Select(p => SqlText.Get("ClaimCandidates")
            .Replace("{priority}", p.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{columns}", ", j.limit_name, j.limit_key", StringComparison.Ordinal)
            .Replace("AND j.run_at <= @now", "AND j.run_at <= @now AND (j.priority, j.run_at, j.id) > (@after_priority, @after_run_at, @after_id)", StringComparison.Ordinal))) +
        ")\n" + SqlText.Get("LimitedCandidatesTail");

    /// <summary>
    /// The claim under limits, inside the write transaction (SQLite has one writer, so the counts read here stay exact
    /// until commit): candidates in claim order, chunk by chunk; each admitted while its key has room (running plus
    /// admitted below MaxRunning, window starts plus admitted below RateCount), else passed over so that other keys
    /// start; then the fast path's update of the admitted ids, and a start row per admitted rate-limited job.
    /// </summary>
    private List<ClaimedJob> ClaimLimited(JobsClaimParams parameters, IReadOnlyList<LimitDefinition> limits, long now, List<(string Queue, long At)> wake)
    {
        var byName = limits.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var keys = new Dictionary<string, KeyRoom>(StringComparer.Ordinal);
        var admitted = new List<long>();
        var rated = new List<string>();
        long reopensAt = long.MaxValue;
        var (afterPriority, afterRunAt, afterId) = (-1, long.MinValue, long.MinValue);
        var scanned = 0;
        var windows = Windows(limits, now);
        // Two more than wanted: enough when few keys are full, and the scan widens (doubling) when many are. Each
        // candidate costs a count of its key's running jobs, so a wider first chunk (it was wanted + 8) is paid for on
        // every claim: drain_throttled against drain went from ~0.70 to ~0.75 (bench/README.md). PostgreSQL does the same.
        var chunk = parameters.Limit + 2;
        while (admitted.Count < parameters.Limit && scanned < LimitedScanMax)
        {
            var rows = new List<(long Id, LimitDefinition? Limit, string? Key)>();
            var candidates = Command(LimitedCandidatesSql);
            candidates.Parameters.AddWithValue("@queue", parameters.Queue);
            candidates.Parameters.AddWithValue("@now", now);
            candidates.Parameters.AddWithValue("@limit", chunk);
            candidates.Parameters.AddWithValue("@after_priority", afterPriority);
            candidates.Parameters.AddWithValue("@after_run_at", afterRunAt);
            candidates.Parameters.AddWithValue("@after_id", afterId);
            candidates.Parameters.AddWithValue("@windows", windows);
            using (var r = candidates.ExecuteReader())
            {
                while (r.Read())
                {
                    (afterPriority, afterRunAt, afterId) = (r.GetInt32(1), r.GetInt64(2), r.GetInt64(0));
                    // A key of a limit no longer configured is unthrottled.
                    var limit = !r.IsDBNull(3) && byName.TryGetValue(r.GetString(3), out var l) ? l : null;
                    var key = limit is null ? null : r.GetString(4);
                    rows.Add((afterId, limit, key));
                    if (key is not null && !keys.ContainsKey(key))
                        keys[key] = new KeyRoom { Running = r.GetInt32(5), Starts = r.GetInt32(6), OldestStart = r.IsDBNull(7) ? long.MaxValue : r.GetInt64(7) };
                }
            }
            scanned += rows.Count;
            foreach (var (id, limit, key) in rows)
            {
                if (admitted.Count == parameters.Limit)
                    break;
                if (key is null)
                {
                    admitted.Add(id);
                    continue;
                }
                var room = keys[key];
                if (limit!.MaxRunning is { } max && room.Running >= max)
                    continue;
                if (limit.RateCount is { } count && room.Starts >= count)
                {
                    // The window reopens when its oldest start leaves it; wake the queue then, not a poll interval later.
                    reopensAt = Math.Min(reopensAt, room.OldestStart + Micros.From(limit.RatePeriod!.Value));
                    continue;
                }
                room.Running++;
                if (limit.HasRate)
                {
                    room.Starts++;
                    if (room.OldestStart == long.MaxValue)
                        room.OldestStart = now;
                    rated.Add(key);
                }
                admitted.Add(id);
            }
            if (rows.Count < chunk)
                break;
            chunk = Math.Min(chunk * 2, LimitedScanMax);
        }
        if (reopensAt != long.MaxValue)
            wake.Add((parameters.Queue, Math.Max(reopensAt, now + 1)));
        PruneStarts(keys, limits: byName, now);
        if (admitted.Count == 0)
            return [];
        var claimed = UpdateAdmitted(parameters, admitted, now);
        if (rated.Count > 0)
        {
            var starts = Named("LimitStartsInsert");
            starts.Parameters.AddWithValue("@keys", Json(w =>
            {
                foreach (var key in rated)
                    w.WriteStringValue(key);
            }));
            starts.Parameters.AddWithValue("@now", now);
            starts.ExecuteNonQuery();
        }
        return claimed;
    }

    /// <summary>The window start (now minus the period) of each limit with a rate, as a JSON object by name.</summary>
    private static string Windows(IReadOnlyList<LimitDefinition> limits, long now)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var limit in limits.Where(l => l.HasRate))
                w.WriteNumber(limit.Name, now - Micros.From(limit.RatePeriod!.Value));
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Drops the starts of the keys looked at that have left their window, so each key keeps at most a window's worth.</summary>
    private void PruneStarts(Dictionary<string, KeyRoom> keys, Dictionary<string, LimitDefinition> limits, long now)
    {
        var rated = keys.Keys.Select(k => (Key: k, Limit: limits[LimitName(k)])).Where(k => k.Limit.HasRate).ToList();
        if (rated.Count == 0)
            return;
        var prune = Named("LimitStartsPrune");
        prune.Parameters.AddWithValue("@keys", Json(w =>
        {
            foreach (var (key, limit) in rated)
            {
                w.WriteStartArray();
                w.WriteStringValue(key);
                w.WriteNumberValue(now - Micros.From(limit.RatePeriod!.Value));
                w.WriteEndArray();
            }
        }));
        prune.ExecuteNonQuery();
    }

    private static string LimitName(string key) =>
        key.IndexOf(LimitDefinition.KeySeparator, StringComparison.Ordinal) is >= 0 and var at ? key[..at] : key;

    private List<ClaimedJob> UpdateAdmitted(JobsClaimParams parameters, List<long> admitted, long now)
    {
        var leaseUntil = now + Micros.From(parameters.LeaseDuration);
        var claimed = new List<ClaimedJob>(admitted.Count);
        foreach (var chunk in admitted.Chunk(IdSlots.Count))
        {
            var update = Named("LimitedClaimUpdate");
            IdSlots.BindIds(update, chunk);
            update.Parameters.AddWithValue("@lease_until", leaseUntil);
            update.Parameters.AddWithValue("@worker", parameters.WorkerId);
            update.Parameters.AddWithValue("@now", now);
            ReadClaimed(update, parameters, leaseUntil, claimed);
        }
        return SortClaimed(claimed);
    }

    /// <inheritdoc />
    /// <remarks>One read over the partial indexes of limited jobs and the start rows; finished jobs are never read.</remarks>
    public async Task<IReadOnlyList<LimitKeyStatus>> LimitsListAsync(LimitsListParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Limits.Count == 0)
            return [];
        var now = Now();
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = SqlText.Get("LimitsList");
        command.Parameters.AddWithValue("@now", now);
        command.Parameters.AddWithValue("@limits", Json(w =>
        {
            foreach (var limit in parameters.Limits)
            {
                w.WriteStartArray();
                w.WriteStringValue(limit.Name);
                if (limit.HasRate)
                    w.WriteNumberValue(now - Micros.From(limit.RatePeriod!.Value));
                else
                    w.WriteNullValue();
                w.WriteEndArray();
            }
        }));
        var keys = new List<LimitKeyStatus>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            keys.Add(new LimitKeyStatus(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4)));
        return keys;
    }

    /// <summary>What a key has used: running jobs and window starts, plus those this claim admitted.</summary>
    private sealed class KeyRoom
    {
        public int Running;
        public int Starts;
        public long OldestStart = long.MaxValue;
    }
}
