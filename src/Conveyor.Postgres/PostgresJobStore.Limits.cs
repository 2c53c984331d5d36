using Conveyor.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>The most ready jobs one limited claim looks at past throttled ones before it gives up for this call.</summary>
    internal const int LimitedScanMax = 2048;

    /// <summary>The column of a limited claim's rows without a job that says when a full rate window reopens (null: none met).</summary>
    private const int LimitedClaimReopensColumn = 15;

    /// <summary>
    /// The claim under limits: one call of the function limited_claim (migration 0010), one round trip. Inside, in rounds
    /// of one transaction: a chunk of candidates in claim order takes the advisory lock of every configured limit key it
    /// meets, without waiting (a key another node is claiming now is passed over); then a statement with a snapshot
    /// taken after those locks, so that it sees every claim committed by earlier holders, counts the keys' running jobs
    /// and window starts, admits in claim order and claims. The locks hold until commit, so no other claimer counts a
    /// key while this one's starts are uncommitted. While the claim is short and the chunk was full, the next chunk
    /// (doubling, up to <see cref="LimitedScanMax"/> candidates) follows, so the jobs of full keys at the head of the
    /// queue do not starve those behind them.
    /// </summary>
    private NpgsqlBatchCommand LimitedClaimCommand(JobsClaimParams parameters, IReadOnlyList<LimitDefinition> limits)
    {
        var claim = BatchCommand("LimitedClaim");
        var p = claim.Parameters;
        AddClaimParameters(p, parameters);
        p.Add(new NpgsqlParameter("clock", NpgsqlDbType.TimestampTz) { Value = _clock is null ? DBNull.Value : _clock.GetUtcNow() });
        p.AddWithValue("names", limits.Select(l => l.Name).ToArray());
        p.Add(new NpgsqlParameter<int?[]>("max_running", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = limits.Select(l => l.MaxRunning).ToArray() });
        p.Add(new NpgsqlParameter<int?[]>("rate_counts", NpgsqlDbType.Array | NpgsqlDbType.Integer)
        {
            TypedValue = limits.Select(l => l.HasRate ? l.RateCount : null).ToArray(),
        });
        p.Add(new NpgsqlParameter<TimeSpan?[]>("periods", NpgsqlDbType.Array | NpgsqlDbType.Interval)
        {
            TypedValue = limits.Select(l => l.HasRate ? l.RatePeriod : null).ToArray(),
        });
        // Two more than wanted: each candidate costs a lock and a count, and when more keys than that are full the next
        // round reads a chunk twice the size (drain_throttled: wanted + 8 kept 0.66-0.72 of the plain drain, wanted + 2
        // 0.63-0.75, median 0.68 against 0.72, in paired runs; bench/README.md).
        p.AddWithValue("first_chunk", parameters.Limit + 2);
        p.AddWithValue("scan_max", LimitedScanMax);
        return claim;
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
}
